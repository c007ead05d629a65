"""Invites: codes users make (capped per day), accepted once per invitee (both become friends), and the
inviter's reward, a platform campaign paid once at the invitee's first qualifying payment."""

from reward_ledger.invites.flow import ACCEPT_KIND, CREATE_KIND, QUALIFIED_KIND, accept, make_code, qualify
from reward_ledger.invites.items import MODELS

__all__ = ["ACCEPT_KIND", "CREATE_KIND", "MODELS", "QUALIFIED_KIND", "accept", "make_code", "qualify"]
