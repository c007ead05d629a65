"""Held invitees wait in an operators' review queue: approved, the next qualifying payment pays the
inviter once; rejected, never; a review is exactly once and keyed by its Idempotency-Key."""

from __future__ import annotations

from typing import Any

from reward_ledger.ledger import Ledger, user_account
from tests.programs.conftest import OPERATOR, Caller, pay
from tests.programs.test_invites import accept, code_of, deliver_qualified, platform_campaign

REVIEW = "/v1/admin/held-invites/{invitee}/{action}"


def queue(api: Caller, claims: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, body, _ = api.api.call("GET", "/v1/admin/held-invites", claims=claims)
    return status, body


def review(api: Caller, invitee: str, action: str, key: str, note: str = "") -> tuple[int, dict[str, Any]]:
    path = f"/v1/admin/held-invites/{invitee}/{action}"
    route = f"/v1/admin/held-invites/{{invitee}}/{action}"
    return api.post(path, route, {"note": note}, OPERATOR, key, invitee=invitee)


def test_held_invitees_are_listed_and_released_or_refused_once(ledger_table: str, ledger: Ledger) -> None:
    api = Caller("InvitesFunction")
    platform_campaign()
    for user, device in (("u1", "d9"), ("u2", "d9"), ("u3", "d9"), ("u4", None)):
        accept(api, user, code_of(api, "alice")[1]["invite_code"], device)
    assert queue(api, {"sub": "u3"})[0] == 403  # a user token is no operator's
    status, body = queue(api, OPERATOR)
    assert status == 200, body
    assert [(h["invitee"], h["inviter"], h["reason"]) for h in body["held"]] == [
        ("u3", "alice", "device-full"),
        ("u4", "alice", "no-device"),
    ]
    user_try = api.post(
        "/v1/admin/held-invites/u3/approve",
        REVIEW.replace("{action}", "approve"),
        {},
        {"sub": "u3"},
        "r0",
        invitee="u3",
    )
    assert user_try[0] == 403  # nor may a user release themself
    status, first = review(api, "u3", "approve", "r1", "known family device")
    assert (status, first) == (201, {"invitee": "u3", "inviter": "alice", "status": "accepted"})
    assert review(api, "u3", "approve", "r1", "known family device") == (201, first)  # a replay
    status, body = review(api, "u3", "approve", "r1", "another note")
    assert (status, body["type"]) == (409, "idempotency-conflict")
    status, body = review(api, "u3", "reject", "r2")  # reviewed already: once
    assert (status, body["type"]) == (409, "already-done")
    assert review(api, "u4", "reject", "r3")[1]["status"] == "rejected"
    assert review(api, "u1", "approve", "r4")[1]["type"] == "already-done"  # never held
    assert review(api, "nobody", "approve", "r5")[0] == 404
    assert queue(api, OPERATOR)[1]["held"] == []  # the reviews took them off the queue

    pay("u3", 5_000, "p-u3")  # released: the first qualifying payment pays the inviter
    pay("u4", 5_000, "p-u4")  # refused: pays nothing
    assert deliver_qualified() == 1
    assert ledger.balance(user_account("alice", "cash", "CNY")) == 500
