"""Roles from the verified token: operators and merchant staff, checked again in every handler.

The authorizer in ``template.yaml`` already refuses a token without the route's scopes
(``AuthorizationScopes``); the handler checks once more, because a route can be reached through another
route's function and because a merchant's staff must act on their own merchant only, which no scope
says. Scopes are read by ``edge/identity.token_scopes`` alone (``scope``, ``scp`` as a string or a list,
and the group claim of ``data/edge.toml``, whose ``ledger-admin`` group grants ``ledger/admin``), so that
every role check reads the same claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from reward_ledger.edge.http import caller_id, claims
from reward_ledger.edge.identity import token_scopes
from reward_ledger.errors import Forbidden

ADMIN_SCOPE = "ledger/admin"
MERCHANT_SCOPE = "ledger/merchant"
MERCHANT_CLAIM = "merchant_id"


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
    return user, set(token_scopes(found)), found


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
