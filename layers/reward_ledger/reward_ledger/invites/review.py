"""Operators review held invitees: approve (``held -> accepted``: the invitee's next qualifying payment
pays the inviter's reward, once) or reject (``held -> rejected``: never). One entry, keyed by the
operator's ``Idempotency-Key`` (a replay answers the first result, another body is a 409), guarded on
``held``: a second review of the invitee, either way, is 409 ``already-done``; the queue item goes in
the same transaction. The queue is a ``review_queue`` of held invitees per UTC day.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from reward_ledger import review_queue
from reward_ledger.errors import AlreadyDone, NotFound
from reward_ledger.invites.flow import REVIEW_QUEUE
from reward_ledger.invites.items import HeldInvite, Invitee, invitee_pk
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, unconditional
from reward_ledger.replies import Reply

REVIEW_KIND = "invite.reviewed"
PAGE_LIMIT = review_queue.PAGE_LIMIT
AFTER_PATTERN = review_queue.AFTER_PATTERN


class HeldInviteView(Reply):
    invitee: str = Field(description="the user who accepted the code", examples=["bob"])
    inviter: str = Field(examples=["alice"])
    code: str = Field(examples=["K7M2Q9XAB3"])
    reason: Literal["device-full", "no-device"] = Field(
        description="device-full: the device had its invitees; no-device: the request named none"
    )
    held_at: str = Field(description="ISO-8601 UTC")


class HeldInvites(Reply):
    """Held invitees still waiting for review, oldest first."""

    day: str = Field(description="UTC day YYYY-MM-DD", examples=["2026-12-01"])
    held: list[HeldInviteView]
    next: str | None = Field(description="pass as `after` for the next page; null on the last")


def held_invites(day: date, *, after: str | None = None) -> HeldInvites:
    items, following = review_queue.page(HeldInvite, REVIEW_QUEUE, day, after, PAGE_LIMIT)
    return HeldInvites(
        day=day.isoformat(),
        held=[
            HeldInviteView(
                invitee=i.invitee,
                inviter=i.inviter,
                code=i.code,
                reason=i.reason,  # type: ignore[arg-type]
                held_at=i.held_at,
            )
            for i in items
        ],
        next=following,
    )


def review(
    ledger: Ledger,
    invitee: str,
    action: Literal["approve", "reject"],
    actor: str,
    note: str,
    idem: IdempotencyKey,
) -> EntryResult:
    """Release (approve) or refuse (reject) a held invitee, exactly once."""
    try:
        current = Invitee.get(invitee_pk(invitee), "INVITEE", consistent_read=True)
    except Invitee.DoesNotExist as exc:
        raise NotFound(f"{invitee} accepted no invite") from exc
    state = "accepted" if action == "approve" else "rejected"
    guards = [
        Guard.update(
            Invitee(pk=invitee_pk(invitee), sk="INVITEE"),
            [Invitee.state.set(state), Invitee.review_pk.remove(), Invitee.review_sk.remove()],
            Invitee.state == "held",
            lambda old: AlreadyDone(
                f"the invitee is {(old or {}).get('state', {}).get('S', 'gone')}, not held"
            ),
        )
    ]
    if current.review_pk and current.review_sk:
        queued = HeldInvite(pk=current.review_pk, sk=current.review_sk)
        guards.append(Guard.delete(queued, None, unconditional))
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=REVIEW_KIND,
            guards=guards,
            metadata={
                "invitee": invitee,
                "inviter": current.inviter,
                "action": action,
                "actor": actor,
                "note": note,
            },
            response={"invitee": invitee, "inviter": current.inviter, "status": state},
        )
    )
