"""Multi-day challenges: a merchant opens N local days with a check-in rule; users join and check in
once per local day (a payment that day, or staff verifying); a missed day fails (the sweep finds it at the day's deadline); completing all days is
a ``challenge.completed`` entry the stream publishes for campaigns to pay prizes (first N winners)."""

from reward_ledger.challenges.checkin import ALREADY_CHECKED_IN, CHECKED_IN, check_in
from reward_ledger.challenges.items import MODELS
from reward_ledger.challenges.missed import expire_missed
from reward_ledger.challenges.opening import OPEN_KIND, ChallengeBody, open_challenge
from reward_ledger.challenges.participation import (
    CHECKIN_KIND,
    COMPLETED_KIND,
    FAILED_KIND,
    FINISHED_KIND,
    JOIN_KIND,
    MISSED_EXP_KIND,
    REMINDER,
    REPEATED_KIND,
    ChallengeOver,
    join,
)
from reward_ledger.challenges.view import MyChallenges, check_in_by_payment, my_challenges, still_unchecked

__all__ = [
    "ALREADY_CHECKED_IN",
    "CHECKED_IN",
    "CHECKIN_KIND",
    "COMPLETED_KIND",
    "FAILED_KIND",
    "FINISHED_KIND",
    "JOIN_KIND",
    "MISSED_EXP_KIND",
    "MODELS",
    "OPEN_KIND",
    "REMINDER",
    "REPEATED_KIND",
    "ChallengeBody",
    "ChallengeOver",
    "MyChallenges",
    "check_in",
    "check_in_by_payment",
    "expire_missed",
    "join",
    "my_challenges",
    "open_challenge",
    "still_unchecked",
]
