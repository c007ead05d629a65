"""Roles from the verified token: operators and merchant staff, checked again in every handler.

The authorizer in ``template.yaml`` already refuses a token without the route's scopes
(``AuthorizationScopes``); the handler checks once more, because a route can be reached through another
route's function and because a merchant's staff must act on their own merchant only, which no scope
says. Scope parsing lives here alone (:func:`granted_scopes`), so that every role check reads the same
claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from reward_ledger.edge.http import caller_id, claims
from reward_ledger.errors import Forbidden

ADMIN_SCOPE = "ledger/admin"
MERCHANT_SCOPE = "ledger/merchant"
#: a Cognito group that counts as the admin scope (operators signed in to the console)
ADMIN_GROUP = "ledger-admin"
MERCHANT_CLAIM = "merchant_id"


def _words(value: Any) -> set[str]:
    """A claim as a set of words: ``"a b"``, ``"[a b]"`` (the authorizer's text form of a list) or a list."""
    if isinstance(value, str):
        return set(value.strip("[]").replace(",", " ").split())
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return set()


def granted_scopes(found: Mapping[str, Any]) -> set[str]:
    """Every scope the token grants: the ``scope`` claim, plus ``ledger/admin`` for the admin group."""
    scopes = _words(found.get("scope"))
    if ADMIN_GROUP in _words(found.get("cognito:groups")):
        scopes.add(ADMIN_SCOPE)
    return scopes


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: ``user`` is the token's ``sub``; ``merchant_id`` is set for merchant staff only."""

    user: str
    operator: bool
    merchant_id: str | None

    @property
    def label(self) -> str:
        """How the journal names the actor (``operator:ops``, ``staff:m1:bob``)."""
        if self.operator:
            return f"operator:{self.user}"
        return f"staff:{self.merchant_id}:{self.user}"


def _actor(app: APIGatewayHttpResolver) -> tuple[str, set[str], Mapping[str, Any]]:
    user = caller_id(app)
    found = claims(app)
    return user, granted_scopes(found), found


def operator(app: APIGatewayHttpResolver) -> Actor:
    """An operator (``ledger/admin``); 403 for anyone else."""
    user, scopes, _ = _actor(app)
    if ADMIN_SCOPE not in scopes:
        raise Forbidden(f"this route needs the {ADMIN_SCOPE} scope")
    return Actor(user, True, None)


def merchant_actor(app: APIGatewayHttpResolver, merchant_id: str) -> Actor:
    """An operator, or staff of ``merchant_id`` (``ledger/merchant`` and a matching ``merchant_id`` claim).

    Staff of another merchant and plain users get 403: the merchant in the path is never trusted alone.
    """
    user, scopes, found = _actor(app)
    if ADMIN_SCOPE in scopes:
        return Actor(user, True, None)
    if MERCHANT_SCOPE not in scopes:
        raise Forbidden(f"this route needs the {MERCHANT_SCOPE} or {ADMIN_SCOPE} scope")
    own = found.get(MERCHANT_CLAIM)
    if not isinstance(own, str) or own != merchant_id:
        raise Forbidden(f"this token acts for another merchant than {merchant_id!r}")
    return Actor(user, False, own)
