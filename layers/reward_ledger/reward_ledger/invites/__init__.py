"""Invites: codes users make (capped per day), accepted once per invitee (both become friends), and the
inviter's reward, a platform campaign paid once at the invitee's first qualifying payment."""

from reward_ledger.invites.flow import ACCEPT_KIND, CREATE_KIND, QUALIFIED_KIND, accept, make_code, qualify
from reward_ledger.invites.items import MODELS
from reward_ledger.invites.review import REVIEW_KIND, HeldInvites, held_invites, review

__all__ = [
    "ACCEPT_KIND",
    "CREATE_KIND",
    "MODELS",
    "QUALIFIED_KIND",
    "REVIEW_KIND",
    "HeldInvites",
    "accept",
    "held_invites",
    "make_code",
    "qualify",
    "review",
]
