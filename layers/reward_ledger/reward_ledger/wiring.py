"""The product's wiring, declared in one place: every table model, expirer and resolution hook.

Nothing is registered by importing a module. Whoever builds a ledger, a sweeper or a table binding takes
them from :data:`PRODUCT` (handlers through :mod:`reward_ledger.runtime`, tests through their fixtures),
so a Lambda function that imports only its own handler behaves exactly as the test suite that imports
everything. Adding a feature: declare its models here, and its expirer (``exp_kind``) or resolution hook
(two-phase entry kind) when it has one; ``tests/unit/test_wiring.py`` checks that nothing is left out.
Every entry kind is also decided for operators' reversals: a hook that undoes its feature state (or
``no_feature_state``), or a reason it is refused (``tests/audit/test_reversible_kinds.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from reward_ledger import (
    cap_zones,
    challenges,
    charity,
    farm,
    forest,
    friends,
    giftcards,
    invites,
    loyalty,
    merchant_refs,
    points,
    profiles,
    rate_limits,
    rentals,
    savings,
    seeds,
    sweep,
)
from reward_ledger.campaigns import models as campaign_models
from reward_ledger.campaigns import vouchers
from reward_ledger.games import antifraud, review, rewards, sessions, withdrawals
from reward_ledger.games.reversal import undo_result
from reward_ledger.ledger import CORE_MODELS, Ledger, ResolutionHook, bind_table
from reward_ledger.ledger.reversal import ReversalHook, no_feature_state
from reward_ledger.reminders import models as reminders
from reward_ledger.reminders import nudges
from reward_ledger.reminders.kinds import FinderReport, ReminderKind, find_and_deliver
from reward_ledger.savings.reversal import undo_choice


@dataclass(frozen=True)
class Wiring:
    """What a ledger, a sweeper and a table binding are built from."""

    models: tuple[type[Model], ...]
    expirers: Mapping[str, sweep.Expirer]
    resolution_hooks: Mapping[str, ResolutionHook]
    # entry kind -> what undoes its feature state in a reversal; and kinds refused, with the reason
    reversal_hooks: Mapping[str, ReversalHook]
    not_reversible: Mapping[str, str]
    reminder_kinds: tuple[ReminderKind, ...]

    def ledger(self, **options: Any) -> Ledger:
        """A ledger with every resolution hook (``options``: the ledger's test seams, e.g. ``sleep``)."""
        return Ledger(resolution_hooks=self.resolution_hooks, **options)

    def sweeper(self, ledger: Ledger) -> sweep.Sweeper:
        """A sweeper with every expirer, moving money through ``ledger``."""
        return sweep.Sweeper(ledger, self.expirers)

    def find_reminders(self) -> FinderReport:
        """One run of the reminder finder over every declared kind."""
        return find_and_deliver(self.reminder_kinds)

    def bind_table(self, table_name: str, *, region: str | None = None, host: str | None = None) -> None:
        """Point every model of the product at ``table_name`` (tests and the local stack)."""
        bind_table(table_name, models=self.models, region=region, host=host)


PRODUCT = Wiring(
    models=(
        *CORE_MODELS,
        profiles.Profile,
        cap_zones.CapZone,
        rate_limits.RateWindow,
        friends.Friendship,
        friends.FriendEdge,
        reminders.Reminder,
        reminders.ReminderPrefs,
        nudges.NudgeMarker,
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
        merchant_refs.MerchantRef,
        points.ProgramItem,
        points.PointsLot,
        loyalty.MemberRow,
        *challenges.MODELS,
        *giftcards.MODELS,
        *invites.MODELS,
    ),
    expirers={
        sweep.HOLD_KIND: sweep.expire_holds,
        forest.LOT_KIND: forest.expire_lots,
        farm.BATCH_KIND: farm.expire_batches,
        vouchers.EXPIRY_KIND: vouchers.expire_coupons,
        points.LOT_KIND: loyalty.expire_lots,
    },
    resolution_hooks={
        rentals.RENTAL_KIND: rentals.rental_over,
        withdrawals.WITHDRAWAL_KIND: withdrawals.resolved,
        rewards.RESULT_KIND: review.unlisted,
    },
    reversal_hooks={
        # balances only: the opposite postings are the whole reversal
        "wallet.funded": no_feature_state,
        "savings.release": no_feature_state,
        "games.budget.funded": no_feature_state,
        "merchant.funded": no_feature_state,
        # the story's progress and the user's savings totals go back with the money
        "savings.choice": undo_choice,
        # the grant goes back off the day's cap counter
        "games.result": undo_result,
    },
    # kinds refused on purpose, and why (the 422 not-reversible answer says it); a kind in neither mapping
    # is refused too, and tests/audit fail for any kind the features write that is in neither
    not_reversible={
        "payment.rewards": "its oxygen lots, feed and treasure boxes are feature state spent on their own",
        "forest.collect": "the collected lots are gone; the energy may already be spent on trees or water",
        "forest.steal": "the friend's lot records the steal; reversing would allow a second one",
        "forest.water": "a gift to a friend, who may have spent it",
        "forest.tree": "the certificate is issued and cannot be withdrawn",
        "forest.expiry": "expiry is the rule applied; re-granting lots is a new entry",
        "farm.feed": "the meal it started has run",
        "farm.feed.friend": "the meal it started has run",
        "farm.meal": "egg progress and eggs follow the meal",
        "farm.eggs.expiry": "expiry is the rule applied",
        "charity.donation.egg": "the project's raised total and donor records follow it",
        "charity.donation.seed": "the project's raised total and donor records follow it",
        "seeds.box.granted": "the box item is issued to the user",
        "seeds.box.opened": "the box is opened and its verifiable draw published",
        "coupon.stock.issued": "stock counters follow it",
        "coupon.redeemed": "the coupon is issued to the user and the stock counted",
        "cabinet.stock.issued": "stock counters follow it",
        "rental.returned": "the rental's state and counters follow it",
        "games.withdrawal": "a posted withdrawal was paid out; a pending one is voided instead",
        "rental": "a posted deposit was forfeited; a pending one is voided instead",
        "merchant.created": "it moves no money: the merchant record is its whole effect",
        "campaign.award": "the campaign's limit counters and any coupon issued follow the award",
        "coupon.redeemed.checkout": "roll the redemption back instead (the coupon becomes usable again)",
        "coupon.redemption.rolled_back": "the coupon is usable again: a new redemption redeems it",
        "coupon.expired": "expiry is the rule applied; the coupon instance stays expired",
        "friends.nudge": "moves no money; the friend's reminder it scheduled may already be sent",
        loyalty.PROGRAM_KIND: "moves no money; set the program again to change its terms",
        loyalty.EARN_KIND: "the points form a lot that may already be spent or expired",
        loyalty.SPEND_KIND: "the lots it took from follow it; grant points again instead",
        loyalty.EXPIRY_ENTRY_KIND: "expiry is the rule applied; the lot stays expired",
        challenges.OPEN_KIND: "moves no money: the challenge record is its whole effect",
        challenges.JOIN_KIND: "moves no money; the participant's progress follows it",
        challenges.CHECKIN_KIND: "moves no money; the day's check-in is the progress itself",
        challenges.COMPLETED_KIND: "moves no money; the prize it triggered is a campaign award",
        challenges.FINISHED_KIND: "moves no money; the completion is the progress itself",
        challenges.FAILED_KIND: "moves no money; the missed day is a fact",
        giftcards.BUY_KIND: "the card is the owner's (and may be given); captures spend it",
        giftcards.CAPTURE_KIND: "the card's balance mirror follows it; refund the order with a new card",
        giftcards.GIVE_KIND: "moves no money; the friend holds the card",
        invites.CREATE_KIND: "moves no money; the code and the day's count follow it",
        invites.ACCEPT_KIND: "moves no money; the friendship and the invitee record follow it",
        invites.QUALIFIED_KIND: "moves no money; the inviter's reward it triggered is a campaign award",
    },
    reminder_kinds=(
        ReminderKind("oxygen-expiring", finder=forest.expiring_oxygen),  # the ExpiryIndex, within the hour
        ReminderKind("friend-nudge"),  # the nudge's transaction
        # the feeding transaction, due once the meal is over for a while; stale if fed again meanwhile
        ReminderKind("chicken-hungry", still_due=lambda r: farm.still_hungry(r.user_id, r.subject)),
        ReminderKind("withdrawal-completed"),  # the resolving transaction
        ReminderKind("withdrawal-rejected"),
        # the award that issues the coupon, due a day before it expires; stale once redeemed or expired
        ReminderKind("coupon-expiring", still_due=vouchers.still_issued),
        # the join or the previous check-in, due at the day's reminder hour; stale once checked in or over
        ReminderKind(challenges.REMINDER, still_due=challenges.still_unchecked),
    ),
)
