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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reward_ledger.ledger import CORE_MODELS, Ledger, ResolutionHook, bind_table
from reward_ledger.refs import Refs, resolve

if TYPE_CHECKING:
    from pynamodb.models import Model

    from reward_ledger import sweep
    from reward_ledger.ledger.reversal import ReversalHook
    from reward_ledger.reminders.kinds import FinderReport, ReminderKind


@dataclass(frozen=True)
class Wiring:
    """What a ledger, a sweeper and a table binding are built from.

    Features are named by reference (:mod:`reward_ledger.refs`), not imported: a function's cold start
    imports the features it calls, and a hook's module is imported when the ledger first needs it.
    """

    # "module:attribute" of a model class, or of a tuple of them
    model_refs: tuple[str, ...]
    expirers: Mapping[str, sweep.Expirer]
    resolution_hooks: Mapping[str, ResolutionHook]
    # entry kind -> what undoes its feature state in a reversal; and kinds refused, with the reason
    reversal_hooks: Mapping[str, ReversalHook]
    not_reversible: Mapping[str, str]
    reminders: Callable[[], tuple[ReminderKind, ...]]

    @cached_property
    def models(self) -> tuple[type[Model], ...]:
        """Every table model of the product (imports every feature: tests, the local stack, bindings)."""
        found: list[type[Model]] = list(CORE_MODELS)
        for ref in self.model_refs:
            value = resolve(ref)
            found.extend(value if isinstance(value, tuple) else (value,))
        return tuple(found)

    @cached_property
    def reminder_kinds(self) -> tuple[ReminderKind, ...]:
        return self.reminders()

    def ledger(self, **options: Any) -> Ledger:
        """A ledger with every resolution hook (``options``: the ledger's test seams, e.g. ``sleep``)."""
        return Ledger(resolution_hooks=self.resolution_hooks, **options)

    def sweeper(self, ledger: Ledger) -> sweep.Sweeper:
        """A sweeper with every expirer, moving money through ``ledger``."""
        from reward_ledger import sweep

        return sweep.Sweeper(ledger, self.expirers)

    def find_reminders(self) -> FinderReport:
        """One run of the reminder finder over every declared kind."""
        from reward_ledger.reminders.kinds import find_and_deliver

        return find_and_deliver(self.reminder_kinds)

    def bind_table(self, table_name: str, *, region: str | None = None, host: str | None = None) -> None:
        """Point every model of the product at ``table_name`` (tests and the local stack)."""
        bind_table(table_name, models=self.models, region=region, host=host)


def _reminder_kinds() -> tuple[ReminderKind, ...]:
    from reward_ledger import challenges, farm, forest
    from reward_ledger.campaigns import vouchers
    from reward_ledger.reminders.kinds import ReminderKind

    return (
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
    )


# The kinds below are the features' constants (sweep.HOLD_KIND, forest.LOT_KIND, ...), written out so
# that declaring them imports nothing; tests/unit/test_wiring.py checks each against its constant.
PRODUCT = Wiring(
    model_refs=(
        "reward_ledger.profiles:Profile",
        "reward_ledger.cap_zones:CapZone",
        "reward_ledger.rate_limits:RateWindow",
        "reward_ledger.friends:Friendship",
        "reward_ledger.friends:FriendEdge",
        "reward_ledger.reminders.models:Reminder",
        "reward_ledger.reminders.models:ReminderPrefs",
        "reward_ledger.reminders.nudges:NudgeMarker",
        "reward_ledger.charity:ProjectProgress",
        "reward_ledger.forest:Lot",
        "reward_ledger.forest:Tree",
        "reward_ledger.forest:StealMarker",
        "reward_ledger.farm:Chicken",
        "reward_ledger.farm:EggBatch",
        "reward_ledger.seeds:BoxItem",
        "reward_ledger.seeds:BoxDayCounter",
        "reward_ledger.rentals:RentalHistory",
        "reward_ledger.rentals:RentalReturn",
        "reward_ledger.savings:SavingsItem",
        "reward_ledger.games.sessions:GameSession",
        "reward_ledger.games.rewards:DailyPlay",
        "reward_ledger.games.review:HeldReview",
        "reward_ledger.games.antifraud:ResultRate",
        "reward_ledger.games.antifraud:DeviceAccounts",
        "reward_ledger.games.withdrawals:DailyWithdrawn",
        "reward_ledger.games.registry:MODELS",
        "reward_ledger.campaigns.models:MODELS",
        "reward_ledger.merchant_refs:MerchantRef",
        "reward_ledger.points:ProgramItem",
        "reward_ledger.points:PointsLot",
        "reward_ledger.loyalty:MemberRow",
        "reward_ledger.challenges:MODELS",
        "reward_ledger.giftcards:MODELS",
        "reward_ledger.invites:MODELS",
    ),
    expirers=Refs(
        {
            "hold": "reward_ledger.sweep:expire_holds",
            "oxygen_lot": "reward_ledger.forest:expire_lots",
            "egg_batch": "reward_ledger.farm:expire_batches",
            "merchant-coupon": "reward_ledger.campaigns.vouchers:expire_coupons",
            "points-lot": "reward_ledger.loyalty:expire_lots",
            "challenge-day": "reward_ledger.challenges:expire_missed",
        }
    ),
    resolution_hooks=Refs(
        {
            "rental": "reward_ledger.rentals:rental_over",
            "games.withdrawal": "reward_ledger.games.withdrawals:resolved",
            "games.result": "reward_ledger.games.review:unlisted",
        }
    ),
    reversal_hooks=Refs(
        {
            # balances only: the opposite postings are the whole reversal
            "wallet.funded": "reward_ledger.ledger.reversal:no_feature_state",
            "savings.release": "reward_ledger.ledger.reversal:no_feature_state",
            "games.budget.funded": "reward_ledger.ledger.reversal:no_feature_state",
            "merchant.funded": "reward_ledger.ledger.reversal:no_feature_state",
            # the story's progress and the user's savings totals go back with the money
            "savings.choice": "reward_ledger.savings.reversal:undo_choice",
            # the grant goes back off the day's cap counter
            "games.result": "reward_ledger.games.reversal:undo_result",
        }
    ),
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
        "games.registered": "moves no money; suspend the game, or edit it (a new version), instead",
        "games.seeded": "moves no money; the seeded games are edited or suspended like any other",
        "games.versioned": "moves no money; results record the version that judged them: edit it again",
        "games.status": "moves no money; set the status again to change it",
        "campaign.award": "the campaign's limit counters and any coupon issued follow the award",
        "coupon.redeemed.checkout": "roll the redemption back instead (the coupon becomes usable again)",
        "coupon.redemption.rolled_back": "the coupon is usable again: a new redemption redeems it",
        "coupon.expired": "expiry is the rule applied; the coupon instance stays expired",
        "friends.nudge": "moves no money; the friend's reminder it scheduled may already be sent",
        "loyalty.program.set": "moves no money; set the program again to change its terms",
        "loyalty.points.earned": "the points form a lot that may already be spent or expired",
        "loyalty.points.spent": "the lots it took from follow it; grant points again instead",
        "loyalty.points.expired": "expiry is the rule applied; the lot stays expired",
        "loyalty.points.exchanged": "the coupon it issued is the member's; its lots and the budget follow it",
        "challenge.opened": "moves no money: the challenge record is its whole effect",
        "challenge.joined": "moves no money; the participant's progress follows it",
        "challenge.checkin": "moves no money; the day's check-in is the progress itself",
        "challenge.completed": "moves no money; the prize it triggered is a campaign award",
        "challenge.finished": "moves no money; the completion is the progress itself",
        "challenge.failed": "moves no money; the missed day is a fact",
        "challenge.checkin.repeated": "moves no money; it records the answer to a second check-in",
        "giftcard.bought": "the card is the owner's (and may be given); captures spend it",
        "giftcard.captured": "the card's balance mirror follows it; refund the order with a new card",
        "giftcard.given": "moves no money; the friend holds the card",
        "invite.created": "moves no money; the code and the day's count follow it",
        "invite.accepted": "moves no money; the friendship and the invitee record follow it",
        "invite.qualified": "moves no money; the inviter's reward it triggered is a campaign award",
    },
    reminders=_reminder_kinds,
)
