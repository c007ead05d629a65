"""Event edge: EventBridge envelopes parsed with Powertools' parser into typed details.

A detail that does not validate raises, so the invocation fails, is retried and lands in the function's
DLQ (with an alarm): a malformed money event is never dropped silently and never half-applied.
"""

from __future__ import annotations

from typing import Any, TypeVar

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel

from reward_ledger.errors import ValidationFailed

_D = TypeVar("_D", bound=BaseModel)


def parse_detail(event: dict[str, Any], model: type[_D]) -> tuple[EventBridgeModel, _D]:
    """Parse an EventBridge event and its ``detail`` into ``model``; ValidationFailed when invalid."""
    try:
        envelope = parse(event=event, model=EventBridgeModel)
        detail = model.model_validate(envelope.detail)
    except Exception as exc:  # pydantic.ValidationError, or the parser's own error
        raise ValidationFailed(f"invalid event: {exc}") from exc
    return envelope, detail
