"""The product's wiring, declared in one place: every table model, expirer and resolution hook.

Nothing is registered by importing a module. Whoever builds a ledger, a sweeper or a table binding takes
them from :data:`PRODUCT` (handlers through :mod:`reward_ledger.runtime`, tests through their fixtures),
so a Lambda function that imports only its own handler behaves exactly as the test suite that imports
everything. Adding a feature: declare its models here, and its expirer (``exp_kind``) or resolution hook
(two-phase entry kind) when it has one; ``tests/unit/test_wiring.py`` checks that nothing is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from reward_ledger import charity, farm, forest, friends, profiles, rentals, savings, seeds, sweep
from reward_ledger.campaigns import models as campaign_models
from reward_ledger.campaigns import vouchers
from reward_ledger.games import antifraud, review, rewards, sessions, withdrawals
from reward_ledger.ledger import CORE_MODELS, Ledger, ResolutionHook, bind_table


@dataclass(frozen=True)
class Wiring:
    """What a ledger, a sweeper and a table binding are built from."""

    models: tuple[type[Model], ...]
    expirers: Mapping[str, sweep.Expirer]
    resolution_hooks: Mapping[str, ResolutionHook]

    def ledger(self, **options: Any) -> Ledger:
        """A ledger with every resolution hook (``options``: the ledger's test seams, e.g. ``sleep``)."""
        return Ledger(resolution_hooks=self.resolution_hooks, **options)

    def sweeper(self, ledger: Ledger) -> sweep.Sweeper:
        """A sweeper with every expirer, moving money through ``ledger``."""
        return sweep.Sweeper(ledger, self.expirers)

    def bind_table(self, table_name: str, *, region: str | None = None, host: str | None = None) -> None:
        """Point every model of the product at ``table_name`` (tests and the local stack)."""
        bind_table(table_name, models=self.models, region=region, host=host)


PRODUCT = Wiring(
    models=(
        *CORE_MODELS,
        sweep.SweepMark,
        profiles.Profile,
        friends.Friendship,
        charity.ProjectProgress,
        forest.Lot,
        forest.Tree,
        forest.StealMarker,
        farm.Chicken,
        farm.EggBatch,
        seeds.BoxItem,
        seeds.BoxDayCounter,
        rentals.RentalHistory,
        rentals.RentalReturn,
        savings.SavingsItem,
        sessions.GameSession,
        rewards.DailyPlay,
        review.HeldReview,
        antifraud.ResultRate,
        antifraud.DeviceAccounts,
        withdrawals.DailyWithdrawn,
        *campaign_models.MODELS,
    ),
    expirers={
        sweep.HOLD_KIND: sweep.expire_holds,
        forest.LOT_KIND: forest.expire_lots,
        farm.BATCH_KIND: farm.expire_batches,
        vouchers.EXPIRY_KIND: vouchers.expire_coupons,
    },
    resolution_hooks={
        rentals.RENTAL_KIND: rentals.rental_over,
        withdrawals.WITHDRAWAL_KIND: withdrawals.limit_given_back,
        rewards.RESULT_KIND: review.unlisted,
    },
)
