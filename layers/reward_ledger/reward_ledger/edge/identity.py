"""Who the caller is: the token's ``sub`` as an account-safe user id, and the operator scopes it holds.

The ``sub`` is encoded into an account-safe user id by ``users.encode_user_id`` (described there):
401 for the caller when it cannot be, 400 for a user id in a path.

Scopes are read in one place, :func:`token_scopes`, from ``scope`` (space-separated), ``scp`` (a string
or a list, as Okta and Entra ID emit it) and the configured group claim (``cognito:groups``), whose
groups map to scopes in ``data/edge.toml``. API Gateway hands list claims to a function as the text
``[a b]``; both forms are read. Anything else (a number, an object) grants nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reward_ledger.edge.settings import edge_settings
from reward_ledger.errors import Unauthorized, ValidationFailed
from reward_ledger.users import encode_user_id


def caller_user_id(claims: Mapping[str, Any]) -> str:
    """The caller's user id from the verified claims; 401 when ``sub`` is missing or unusable."""
    sub = claims.get("sub")
    if not isinstance(sub, str):
        raise Unauthorized("a valid bearer token is required")
    try:
        return encode_user_id(sub)
    except ValueError as exc:
        raise Unauthorized(f"the token's sub is not usable: {exc}") from exc


def path_user_id(raw: str, name: str = "friend_id") -> str:
    """A user id named in a path (a friend), encoded as the caller's is; 400 when it is unusable."""
    try:
        return encode_user_id(raw)
    except ValueError as exc:
        raise ValidationFailed(f"{name}: {exc}") from exc


def _words(value: Any) -> set[str]:
    """Scope words of a claim: ``"a b"``, ``"[a b]"`` (a list as API Gateway passes it), ``["a", "b"]``."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return set(text.replace(",", " ").split())
    if isinstance(value, list | tuple):
        return {item for item in value if isinstance(item, str)}
    return set()


def token_scopes(claims: Mapping[str, Any], *, groups: bool = True) -> frozenset[str]:
    """Every scope the token grants: ``scope``, ``scp`` and (with ``groups``, as handlers read it; API
    Gateway's authorizer does not) the configured group claim's groups mapped to scopes."""
    settings = edge_settings().scopes
    found = _words(claims.get("scope")) | _words(claims.get("scp"))
    for group in _words(claims.get(settings.group_claim)) if groups else ():
        mapped = settings.groups.get(group)
        if mapped is not None:
            found.add(mapped)
    return frozenset(found)
