"""Local bearer tokens: HS256 JWTs signed with ``LOCAL_JWT_SECRET`` (default ``local-dev-secret``).

``python -m infra.token alice`` (or ``make token USER=alice``) prints a token whose ``sub`` is ``alice``;
the local gateway verifies it the way the API's JWT authorizer verifies the real ones (signature and
``exp``/``nbf`` against the real wall clock, not the clock moved with ``POST /_local/clock``).
``make token USER=ops SCOPE=ledger/admin`` mints an operator's token and
``make token USER=staff SCOPE=ledger/merchant MERCHANT=m1`` one of merchant m1's staff.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

# The local default secret is short on purpose (it is published): no warning about short HMAC keys.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

DEFAULT_SECRET = "local-dev-secret"
DEFAULT_TTL_SECONDS = 12 * 3600
ISSUER = "https://auth.example.com/"  # the template's JwtIssuer default
AUDIENCE = "reward-ledger"  # the template's JwtAudience default


def secret() -> str:
    return os.environ.get("LOCAL_JWT_SECRET") or DEFAULT_SECRET


def issue(
    sub: str,
    *,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    key: str | None = None,
    extra: dict[str, Any] | None = None,
    now: float | None = None,
) -> str:
    """A signed local token for ``sub`` (``ttl_seconds`` may be negative to make an expired one)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": sub,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + ttl_seconds,
        **(extra or {}),
    }
    encoded: str = jwt.encode(claims, key or secret(), algorithm="HS256")
    return encoded


def verify(token: str, *, key: str | None = None) -> dict[str, Any]:
    """The token's claims; ``jwt.InvalidTokenError`` when the signature, ``exp`` or ``nbf`` is wrong.

    Issuer and audience are not enforced locally, so tokens made by any tool with the secret work.
    """
    claims: dict[str, Any] = jwt.decode(
        token,
        key or secret(),
        algorithms=["HS256"],
        options={"verify_aud": False, "verify_iss": False},
        leeway=0,
    )
    return claims


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.token", description=__doc__.splitlines()[0])
    parser.add_argument("sub", help="the user id (the token's sub claim)")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS, help="lifetime in seconds")
    parser.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra claim, e.g. --claim zoneinfo=Europe/Paris (repeatable)",
    )
    parser.add_argument("--scope", default="", help="the scope claim, e.g. ledger/admin or ledger/merchant")
    parser.add_argument("--merchant", default="", help="the merchant_id claim of merchant staff")
    args = parser.parse_args(argv)
    if not args.sub or "/" in args.sub or len(args.sub) > 128:
        parser.error("sub must be 1..128 characters without '/'")
    extra: dict[str, Any] = {}
    for item in args.claim:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--claim needs NAME=VALUE (got {item!r})")
        extra[name] = value
    if args.scope:
        extra["scope"] = args.scope
    if args.merchant:
        extra["merchant_id"] = args.merchant
    sys.stdout.write(issue(args.sub, ttl_seconds=args.ttl, extra=extra) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
