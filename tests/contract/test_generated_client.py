"""A client generated from openapi.json by openapi-python-client drives the API end to end over HTTP.

The client is generated into a temporary directory (never committed) from the committed spec, so a
response model or status the spec gets wrong breaks its typed parsing here: fund, choose a story
choice, play a game, withdraw, read balances and the journal.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from infra import spec
from infra import token as tokens
from tests.contract.conftest import fund
from tests.local.conftest import Client, eventually

pytestmark = pytest.mark.slow

PACKAGE = "ledger_client"
GAME_SECRET = b"local-game-secret"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("generated")
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")
    done = subprocess.run(  # noqa: S603 (the locked generator on our own spec)
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path",
            str(spec.SPEC),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def test_a_generated_client_funds_chooses_plays_withdraws_and_reads_its_books(
    generated: ModuleType, client: Client
) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    user = "generated-client"
    fund(client, user, cny=10_000, payments=0)
    typed = generated.AuthenticatedClient(
        base_url=client.url, token=tokens.issue(user), raise_on_unexpected_status=True
    )

    chosen = api("savings.post_choice_v1_stories_story_id_choices_post").sync_detailed(
        "first-date",
        client=typed,
        body=models.ChoiceBody(chapter=1, choice_id="flowers"),
        idempotency_key="c-1",
    )
    assert chosen.status_code == 201
    assert isinstance(chosen.parsed, models.ChoiceMade)
    assert (chosen.parsed.amount, chosen.parsed.progress.chapter) == (1990, 2)
    replay = api("savings.post_choice_v1_stories_story_id_choices_post").sync_detailed(
        "first-date",
        client=typed,
        body=models.ChoiceBody(chapter=1, choice_id="flowers"),
        idempotency_key="c-1",
    )
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.parsed == chosen.parsed

    refused = api("savings.post_release_v1_purse_releases_post").sync_detailed(
        client=typed, body=models.ReleaseBody(amount=10**9), idempotency_key="r-1"
    )
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.Problem) and refused.parsed.type_ == "insufficient-funds"

    client.call("POST", "/_local/clock", {"now": "2030-03-01T02:00:00Z"})
    try:
        opened = api("games.post_session_v1_games_game_id_sessions_post").sync(
            "puzzle", client=typed, body=models.OpenSession(), idempotency_key="s-1"
        )
        assert isinstance(opened, models.SessionOpened)
        client.call("POST", "/_local/clock", {"now": "2030-03-01T02:01:00Z"})
        score, duration_ms = 900, 50_000
        message = f"{opened.session_id}:{score}:{duration_ms}".encode()
        signature = hmac.new(GAME_SECRET, message, hashlib.sha256).hexdigest()
        played = api("games.post_result_v1_games_sessions_session_id_result_post").sync(
            opened.session_id,
            client=typed,
            body=models.GameResult(score=score, duration_ms=duration_ms, signature=signature),
            idempotency_key="g-1",
            x_device_id="device-1",
        )
        assert isinstance(played, models.ResultRecorded)
        assert played.status == models.ResultRecordedStatus.CREDITED and played.granted > 0

        asked = api("withdrawals.post_withdrawal_v1_withdrawals_post").sync_detailed(
            client=typed, body=models.WithdrawalRequest(amount=played.granted), idempotency_key="w-1"
        )
        assert asked.status_code == 202 and isinstance(asked.parsed, models.WithdrawalAccepted)
        status = api("withdrawals.get_withdrawal_v1_withdrawals_withdrawal_id_get")
        done = eventually(
            lambda: status.sync(asked.parsed.withdrawal_id, client=typed), lambda w: w.status != "pending"
        )
        assert isinstance(done, models.Withdrawal) and done.status == models.WithdrawalStatus.COMPLETED
    finally:
        client.call("POST", "/_local/clock", {"now": None})

    balances = api("accounts.get_balances_v1_me_balances_get").sync(client=typed)
    assert isinstance(balances, models.Balances)
    books = {b.book: b.balance for b in balances.balances if b.asset == "CNY"}
    assert books == {"wallet": 10_000 - 1990 + played.granted, "purse": 1990, "cash": 0}

    page = api("accounts.get_journal_v1_me_journal_get").sync(
        client=typed, book=models.GetJournalV1MeJournalGetBook.WALLET, limit=10
    )
    assert isinstance(page, models.JournalPage)
    assert [(e.kind, e.amount, e.direction) for e in page.entries][-2:] == [
        ("savings.choice", 1990, models.JournalLineDirection.DEBIT),
        ("wallet.funded", 10_000, models.JournalLineDirection.CREDIT),
    ]


def test_a_generated_client_runs_a_merchant_campaign_its_coupon_and_the_operators_reads(
    generated: ModuleType, client: Client
) -> None:
    """The merchants, engagement and audit routes through their generated types: a campaign funded and
    activated, the coupon it issues held by a user, redeemed at checkout and rolled back, then ended."""
    models = importlib.import_module(f"{PACKAGE}.models")
    ops = generated.AuthenticatedClient(
        base_url=client.url,
        token=tokens.issue("generated-ops", extra={"scope": "ledger/admin"}),
        raise_on_unexpected_status=True,
    )
    user = generated.AuthenticatedClient(
        base_url=client.url, token=tokens.issue("generated-shopper"), raise_on_unexpected_status=True
    )
    made = api("merchants.post_merchant_v1_admin_merchants_post").sync_detailed(
        client=ops, body=models.NewMerchant(merchant_id="gen-m1", name="Generated"), idempotency_key="m-1"
    )
    assert made.status_code == 201 and isinstance(made.parsed, models.MerchantCreated)
    detail = {"funding_id": "gen-m1-fund", "merchant_id": "gen-m1", "amount": 10_000}
    assert client.event("payments", "merchant.funded", detail).status == 200
    terms = models.CouponTerms(title="5 off", value=500, valid_days=7, min_spend=2000)
    spec = models.CampaignSpec(
        campaign_id="gen-c1",
        name="Generated coupons",
        trigger=models.PaymentTrigger(event="payment.completed"),
        effect=models.CouponEffect(kind="coupon", coupon=terms),
    )
    created = api("merchants.post_campaign_v1_merchants_merchant_id_campaigns_post").sync(
        "gen-m1", client=ops, body=spec, idempotency_key="c-1"
    )
    assert isinstance(created, models.CampaignVersioned) and created.version == 1
    active = api("merchants.post_activate_v1_merchants_merchant_id_campaigns_campaign_id_activate_post").sync(
        "gen-m1", "gen-c1", client=ops, body=models.Activation(budget=5000), idempotency_key="a-1"
    )
    assert isinstance(active, models.CampaignActivated) and active.budget_remaining == 5000
    listed = api("merchants.get_campaigns_v1_campaigns_get").sync(client=user)
    assert isinstance(listed, models.PublicCampaigns)
    [public] = [c for c in listed.campaigns if c.campaign_id == "gen-c1"]
    assert isinstance(public.effect, models.CouponEffect) and public.effect.coupon.value == 500

    payment = {
        "payment_id": "gen-pay-1",
        "user_id": "generated-shopper",
        "merchant_id": "gen-m1",
        "amount": 3000,
        "category": "offline",
        "occurred_at": "2026-01-01T08:00:00Z",
    }
    assert client.event("payments", "payment.completed", payment).status == 200
    held = api("merchants.get_my_coupons_v1_me_coupons_get")
    coupons = eventually(lambda: held.sync(client=user), lambda page: bool(page.coupons))
    assert isinstance(coupons, models.HeldCoupons)
    [coupon] = coupons.coupons
    assert (coupon.value, coupon.min_spend, coupon.status) == (500, 2000, models.HeldCouponViewStatus.ISSUED)

    checkout = models.Checkout(code=coupon.code, order_id="order-1", order_amount=3000)
    redeemed = api("merchants.post_redemption_v1_merchants_merchant_id_redemptions_post").sync(
        "gen-m1", client=ops, body=checkout, idempotency_key="r-1"
    )
    assert isinstance(redeemed, models.CheckoutRedemption) and redeemed.discount == 500
    rolled = api(
        "merchants.post_rollback_v1_merchants_merchant_id_redemptions_redemption_id_rollback_post"
    ).sync(
        "gen-m1",
        redeemed.redemption_id,
        client=ops,
        body=models.Rollback(reason="refund"),
        idempotency_key="b-1",
    )
    assert isinstance(rolled, models.RolledBack) and rolled.coupon_id == coupon.coupon_id

    campaign = api("merchants.get_campaign_v1_merchants_merchant_id_campaigns_campaign_id_get").sync(
        "gen-m1", "gen-c1", client=ops
    )
    assert isinstance(campaign, models.CampaignView) and isinstance(campaign.trigger, models.PaymentTrigger)
    assert campaign.status == models.CampaignViewStatus.ACTIVE and campaign.budget_remaining == 4500
    ended = api("merchants.post_end_v1_merchants_merchant_id_campaigns_campaign_id_end_post").sync(
        "gen-m1", "gen-c1", client=ops, body=models.Empty(), idempotency_key="e-1"
    )
    assert isinstance(ended, models.CampaignEnded) and ended.returned == 4500
    merchant = api("merchants.get_merchant_v1_merchants_merchant_id_get").sync("gen-m1", client=ops)
    assert isinstance(merchant, models.MerchantView)
    assert (merchant.prepaid, merchant.reserved) == (10_000 - 5000 + 4500, 500)

    history = api("audit.get_history_v1_admin_accounts_account_history_get").sync(
        "merchant:gen-m1/prepaid/CNY", client=ops, limit=10
    )
    assert isinstance(history, models.AccountHistory) and history.next_cursor is None
    entry = api("audit.get_entry_v1_admin_entries_entry_id_get").sync(history.entries[0].entry_id, client=ops)
    assert isinstance(entry, models.EntryView) and entry.kind == "campaign.ended"
    assert sum(p.delta for p in entry.postings) == 0
