"""Making an invite code, accepting it (both become friends) and the invitee's first qualifying payment.

Each step is one ledger entry without legs. Accepting refuses the inviter's own code and a second code
(409 ``invite-refused``: the invitee item is put once per user), and a code already used (409
``already-done``). From one device only ``max_invitees_per_device`` invitees are accepted as such; the
others are ``held`` (friends, but their payments pay no reward), and a request without a device id is
held too, since leaving the header out must not sidestep the rule. The inviter's reward is a platform
campaign (trigger ``invite.qualified``): the invitee's first qualifying payment turns ``accepted`` into
``qualified`` once, and that entry is published for the campaign to pay (keyed by the invitee).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reward_ledger import clock, review_queue
from reward_ledger.errors import AlreadyDone, DailyCapReached, InviteRefused, LedgerError, NotFound
from reward_ledger.friends import FriendEdge, Friendship, edge_partition, pair_key
from reward_ledger.invites.items import (
    HeldInvite,
    InviteCode,
    InviteCounter,
    Invitee,
    code_pk,
    invitee_pk,
    settings,
)
from reward_ledger.ledger import EntryRequest, EntryResult, Guard, IdempotencyKey, Ledger, unconditional

CREATE_KIND = "invite.created"
ACCEPT_KIND = "invite.accepted"
QUALIFIED_KIND = "invite.qualified"
REVIEW_QUEUE = "HELDINVITE"
#: day counters are kept this long (cleanup only)
COUNTER_TTL = timedelta(days=3)


class SelfInvite(InviteRefused):
    """The caller made this code."""


class SecondInvite(InviteRefused):
    """The caller already accepted a code."""


class _DeviceFull(LedgerError):
    """The device has its invitees (internal: the acceptance is held)."""


def make_code(ledger: Ledger, user_id: str, zone: str, idem: IdempotencyKey) -> EntryResult:
    """A new code (derived from the entry, so a retry answers the same code), capped per local day."""
    now = clock.now()
    code = idem.entry_id[1:11].upper()
    day = clock.local_day(now, zone).isoformat()
    cap = settings().max_codes_per_day
    guards = [
        Guard.update(
            InviteCounter(pk=f"INVCAP#{user_id}", sk=f"DAY#{day}"),
            [InviteCounter.used.add(1), InviteCounter.ttl.set(int((now + COUNTER_TTL).timestamp()))],
            InviteCounter.used.does_not_exist() | (InviteCounter.used < cap),
            lambda _old: DailyCapReached(f"{cap} invite codes a day at most"),
        ),
        Guard.put(
            InviteCode(pk=code_pk(code), code=code, inviter=user_id, state="open", created_at=clock.iso(now)),
            InviteCode.pk.does_not_exist(),
            lambda _old: AlreadyDone("code exists"),
        ),
    ]
    return ledger.transfer(
        EntryRequest(
            idempotency=idem,
            kind=CREATE_KIND,
            guards=guards,
            metadata={"user_id": user_id, "code": code},
            response={"invite_code": code},
        )
    )


def _friends(a: str, b: str, now: str) -> list[Guard]:
    return [
        Guard.put(
            Friendship(pk=pair_key(a, b), sk="PAIR", asked={a, b}, updated_at=now), None, unconditional
        ),
        Guard.put(FriendEdge(pk=edge_partition(a), sk=b, since=now), None, unconditional),
        Guard.put(FriendEdge(pk=edge_partition(b), sk=a, since=now), None, unconditional),
    ]


def accept(ledger: Ledger, user_id: str, code: str, device: str | None, idem: IdempotencyKey) -> EntryResult:
    try:
        invite = InviteCode.get(code_pk(code), "INVITE")
    except InviteCode.DoesNotExist as exc:
        raise NotFound(f"no invite code {code!r}") from exc
    inviter = str(invite.inviter)
    if inviter == user_id:
        raise SelfInvite("you cannot accept your own invite code")
    held = device is None
    while True:
        instant = clock.now()
        now = clock.iso(instant)
        state = "held" if held else "accepted"
        queued = review_queue.queue_key(REVIEW_QUEUE, user_id, instant) if held else None
        guards = [
            Guard.update(
                InviteCode(pk=code_pk(code), sk="INVITE"),
                [InviteCode.state.set("accepted"), InviteCode.invitee.set(user_id)],
                InviteCode.state == "open",
                lambda _old: AlreadyDone(f"invite code {code!r} was already used"),
            ),
            Guard.put(
                Invitee(
                    pk=invitee_pk(user_id),
                    user_id=user_id,
                    code=code,
                    inviter=inviter,
                    state=state,
                    accepted_at=now,
                    review_pk=queued["pk"] if queued else None,
                    review_sk=queued["sk"] if queued else None,
                ),
                Invitee.pk.does_not_exist(),
                lambda _old: SecondInvite("you already accepted an invite code"),
            ),
            *_friends(user_id, inviter, now),
        ]
        if queued is not None:
            reason = "no-device" if device is None else "device-full"
            waiting = HeldInvite(
                pk=queued["pk"],
                sk=queued["sk"],
                invitee=user_id,
                inviter=inviter,
                code=code,
                reason=reason,
                held_at=now,
            )
            guards.append(Guard.put(waiting, None, unconditional))  # its key holds the invitee, put once
        if device is not None:
            limit = settings().max_invitees_per_device
            counter = InviteCounter(pk=f"INVDEV#{device}", sk="DEVICE")
            condition = None if held else InviteCounter.used.does_not_exist() | (InviteCounter.used < limit)
            guards.append(
                Guard.update(
                    counter, [InviteCounter.used.add(1)], condition, lambda _old: _DeviceFull("full")
                )
            )
        request = EntryRequest(
            idempotency=idem,
            kind=ACCEPT_KIND,
            guards=guards,
            metadata={"user_id": user_id, "inviter": inviter, "code": code, "state": state},
            response={"inviter": inviter, "status": state},
        )
        try:
            return ledger.transfer(request)
        except _DeviceFull:
            held = True


def qualify(
    ledger: Ledger, user_id: str, amount: int, payment_id: str, now: datetime
) -> dict[str, Any] | None:
    """The invitee's first qualifying payment: ``accepted`` -> ``qualified``, once; ``None`` otherwise."""
    if amount < settings().min_qualifying_amount:
        return None
    try:
        invitee = Invitee.get(invitee_pk(user_id), "INVITEE")
    except Invitee.DoesNotExist:
        return None
    if invitee.state != "accepted":
        return None
    idem = IdempotencyKey("invite:qualified", user_id, {})
    guard = Guard.update(
        Invitee(pk=invitee_pk(user_id), sk="INVITEE"),
        [Invitee.state.set("qualified")],
        Invitee.state == "accepted",
        lambda _old: AlreadyDone("qualified already"),
    )
    try:
        result = ledger.transfer(
            EntryRequest(
                idempotency=idem,
                kind=QUALIFIED_KIND,
                guards=[guard],
                metadata={"user_id": invitee.inviter, "invitee": user_id, "payment_id": payment_id},
                response={"inviter": invitee.inviter, "invitee": user_id, "qualified_at": clock.iso(now)},
            )
        )
    except AlreadyDone:
        return None
    return {**(result.response or {}), "replayed": result.replayed}
