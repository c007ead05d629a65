"""Draw epochs (UTC days) and their secrets: committed in advance, revealed once the epoch is over."""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime, timedelta
from functools import cache

from pydantic import Field

from reward_ledger import clock
from reward_ledger.errors import ValidationFailed
from reward_ledger.replies import Reply

DRAW_KEY_VAR = "SEEDS_DRAW_SECRET"
DRAW_KEY_PARAMETER_VAR = "SEEDS_DRAW_SECRET_PARAMETER"
LOCAL_DRAW_KEY = "local-seeds-secret"


@cache
def _master_secret() -> bytes:
    """The draw master secret: ``SEEDS_DRAW_SECRET``, else the SSM SecureString named by
    ``SEEDS_DRAW_SECRET_PARAMETER``, else (outside Lambda only) a local development default."""
    value = os.environ.get(DRAW_KEY_VAR)
    if not value and os.environ.get(DRAW_KEY_PARAMETER_VAR):
        from aws_lambda_powertools.utilities import parameters

        value = str(parameters.get_parameter(os.environ[DRAW_KEY_PARAMETER_VAR], decrypt=True))
    if not value:
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            raise RuntimeError("the seeds draw secret is not configured")
        value = LOCAL_DRAW_KEY
    return value.encode("utf-8")


def epoch_of(instant: datetime) -> str:
    """Draw epochs are UTC days."""
    return instant.astimezone(clock.zone("UTC")).date().isoformat()


def epoch_end(epoch: str) -> datetime:
    start = datetime.fromisoformat(epoch).replace(tzinfo=clock.zone("UTC"))
    return start + timedelta(days=1)


def epoch_secret(epoch: str) -> bytes:
    return hmac.new(_master_secret(), f"seeds-draw-epoch:{epoch}".encode(), hashlib.sha256).digest()


def commitment(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


class Epoch(Reply):
    """A draw epoch's commitment; its secret once it is over."""

    epoch: str = Field(description="UTC day YYYY-MM-DD", examples=["2026-12-01"])
    ends_at: str = Field(description="ISO-8601 UTC")
    commitment: str = Field(description="hex SHA-256 of the secret")
    revealed: bool
    secret: str | None = Field(description="hex secret; null until the epoch is over")


def epoch_view(epoch: str, now: datetime | None = None) -> Epoch:
    """An epoch's commitment, and its secret once the epoch is over (never before)."""
    try:
        end = epoch_end(epoch)
    except (ValueError, OverflowError) as exc:  # 9999-12-31 has no next day
        raise ValidationFailed(f"epoch must be a UTC day YYYY-MM-DD, got {epoch!r}") from exc
    secret = epoch_secret(epoch)
    revealed = (now or clock.now()) >= end
    return Epoch.model_validate(
        {
            "epoch": epoch,
            "ends_at": clock.iso(end),
            "commitment": commitment(secret),
            "revealed": revealed,
            "secret": secret.hex() if revealed else None,
        }
    )
