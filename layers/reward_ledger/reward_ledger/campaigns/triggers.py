"""The events campaigns listen to, parsed into :class:`TriggerFacts`.

* ``payment.completed`` (source ``payments``) with ``merchant_id``: a payment at that merchant. The
  campaigns consumer gets the same event as the payments consumer through its own EventBridge rule.
* ``game.result``, ``story.choice``, ``challenge.completed`` (source ``reward-ledger``): published by the
  feature once its own entry committed (``entry_id`` is the trigger id), so a campaign's award is a
  follow-up entry and never makes the feature's own transaction fail or grow.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from reward_ledger.campaigns.awards import TriggerFacts
from reward_ledger.campaigns.spec import ID_PATTERN
from reward_ledger.users import USER_ID_PATTERN, UserId


class _Event(BaseModel):
    """An event of this ledger's own features: ``user_id`` is already the encoded id they hold."""

    model_config = ConfigDict(extra="ignore")

    user_id: str = Field(pattern=USER_ID_PATTERN)


class PaymentAtMerchant(_Event):
    """The payments domain names users by their IdP id, as tokens do: encoded as the edge encodes it."""

    user_id: UserId
    payment_id: str = Field(min_length=1, max_length=128)
    merchant_id: str = Field(pattern=ID_PATTERN)
    amount: StrictInt = Field(gt=0, le=10**12)
    # any category: one no campaign names matches nothing, and is not an error (CONTRACT)
    category: str = Field(min_length=1, max_length=64)


class GameResultCredited(_Event):
    entry_id: str = Field(min_length=1, max_length=64)
    game_id: str = Field(pattern=ID_PATTERN)
    level: StrictInt | None = Field(default=None, ge=1, le=1000)
    score: StrictInt = Field(ge=0)


class StoryChoiceMade(_Event):
    entry_id: str = Field(min_length=1, max_length=64)
    story_id: str = Field(pattern=ID_PATTERN)
    choice_id: str = Field(pattern=ID_PATTERN)


class ChallengeCompleted(_Event):
    challenge_id: str = Field(pattern=ID_PATTERN)


class InviteQualified(_Event):
    """``user_id`` is the inviter; an invite qualifies once per invitee (the trigger's id)."""

    invitee: str = Field(pattern=USER_ID_PATTERN)


EVENT_MODELS: dict[str, type[_Event]] = {
    "payment.completed": PaymentAtMerchant,
    "game.result": GameResultCredited,
    "story.choice": StoryChoiceMade,
    "challenge.completed": ChallengeCompleted,
    "invite.qualified": InviteQualified,
}


def facts_of(detail_type: str, detail: Any) -> TriggerFacts:
    """The facts of a validated event detail (``EVENT_MODELS[detail_type]``)."""
    if isinstance(detail, PaymentAtMerchant):
        attrs = {"amount": detail.amount, "category": detail.category}
        return TriggerFacts(detail_type, detail.payment_id, detail.user_id, detail.merchant_id, attrs)
    if isinstance(detail, GameResultCredited):
        attrs = {"game_id": detail.game_id, "level": detail.level, "score": detail.score}
        return TriggerFacts(detail_type, detail.entry_id, detail.user_id, None, attrs)
    if isinstance(detail, StoryChoiceMade):
        attrs = {"story_id": detail.story_id, "choice_id": detail.choice_id}
        return TriggerFacts(detail_type, detail.entry_id, detail.user_id, None, attrs)
    if isinstance(detail, InviteQualified):
        return TriggerFacts(detail_type, f"invite:{detail.invitee}", detail.user_id, None, {})
    assert isinstance(detail, ChallengeCompleted)
    # a challenge is completed once per user: that pair is the trigger's id
    return TriggerFacts(
        detail_type,
        f"{detail.challenge_id}:{detail.user_id}",
        detail.user_id,
        None,
        {"challenge_id": detail.challenge_id},
    )
