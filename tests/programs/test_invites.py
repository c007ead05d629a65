"""Invites: own and second codes refused, many invitees from one device held, a cap per inviter per
day, and the inviter's reward (a platform campaign) paid once at the invitee's first qualifying payment."""

from __future__ import annotations

from infra.apigw import eventbridge_event
from infra.handlers import invoke
from reward_ledger.friends import are_friends
from reward_ledger.ledger import Ledger, user_account
from reward_ledger.ledger.models import EntryItem
from reward_ledger.outbound.schema import from_change
from tests.programs.conftest import Caller, pay, register, staff

ACCEPT = "/v1/invites/{invite_code}/accept"


def code_of(api: Caller, user: str) -> tuple[int, dict]:
    return api.post("/v1/me/invites", "/v1/me/invites", {}, {"sub": user})


def accept(api: Caller, user: str, code: str, device: str | None) -> tuple[int, dict]:
    api.keys += 1
    headers = {"Idempotency-Key": f"a{api.keys}", **({"X-Device-Id": device} if device else {})}
    status, body, _ = api.api.call(
        "POST",
        f"/v1/invites/{code}/accept",
        route=ACCEPT,
        path_parameters={"invite_code": code},
        body={},
        claims={"sub": user},
        headers=headers,
    )
    return status, body


def platform_campaign() -> None:
    register("platform", prepaid=10_000)
    merchants = Caller("MerchantsFunction")
    spec = {
        "campaign_id": "invite-reward",
        "name": "Invite a friend",
        "trigger": {"event": "invite.qualified"},
        "effect": {"kind": "cash", "amount": 500},
    }
    base, route = "/v1/merchants/platform/campaigns", "/v1/merchants/{merchant_id}/campaigns"
    assert merchants.post(base, route, spec, staff("platform"), merchant_id="platform")[0] == 201
    status, body = merchants.post(
        f"{base}/invite-reward/activate",
        f"{route}/{{campaign_id}}/activate",
        {"budget": 5_000},
        staff("platform"),
        merchant_id="platform",
        campaign_id="invite-reward",
    )
    assert status == 201, body


def deliver_qualified() -> int:
    """What the stream publishes for invite.qualified entries, delivered twice (at least once)."""
    delivered = 0
    for entry in EntryItem.scan(EntryItem.kind == "invite.qualified"):
        plain = {k: next(iter(v.values())) for k, v in entry.serialize().items()}
        for out in from_change("INSERT", {"pk": entry.pk, "sk": "ENTRY"}, None, plain)[1:]:
            for _ in range(2):
                invoke(
                    "CampaignTriggersFunction",
                    eventbridge_event("reward-ledger", out.detail_type, out.detail.model_dump()),
                )
            delivered += 1
    return delivered


def test_an_invite_pays_the_inviter_once_and_is_refused_or_held_when_abused(
    ledger_table: str, ledger: Ledger
) -> None:
    api = Caller("InvitesFunction")
    platform_campaign()
    status, body = code_of(api, "alice")
    assert status == 201, body
    code = body["invite_code"]
    status, body = accept(api, "alice", code, "d1")
    assert status == 409 and body["type"] == "invite-refused"  # her own code
    assert accept(api, "bob", code, "d1")[1] == {"inviter": "alice", "status": "accepted"}
    assert are_friends("alice", "bob")
    assert accept(api, "carol", code, "d2")[1]["type"] == "already-done"  # a used code
    second = code_of(api, "zoe")[1]["invite_code"]
    assert accept(api, "bob", second, "d1")[1]["type"] == "invite-refused"  # bob accepted a code already
    statuses = [
        accept(api, user, code_of(api, "alice")[1]["invite_code"], "d9")[1]["status"]
        for user in ("u1", "u2", "u3")
    ]
    assert statuses == ["accepted", "accepted", "held"]  # a third invitee from one device is held
    assert (
        accept(api, "u4", code_of(api, "alice")[1]["invite_code"], None)[1]["status"] == "held"
    )  # no device named
    for _ in range(5):
        code_of(api, "alice")
    status, body = code_of(api, "alice")  # the eleventh code today
    assert status == 422 and body["type"] == "daily-cap-reached"

    pay("u3", 5_000, "p-held")  # a held invitee's payment pays nothing
    pay("bob", 50, "p-small")  # below the qualifying amount
    pay("bob", 5_000, "p1")
    pay("bob", 5_000, "p1")  # redelivered
    pay("bob", 5_000, "p2")  # a later payment
    assert deliver_qualified() == 1
    assert ledger.balance(user_account("alice", "cash", "CNY")) == 500
