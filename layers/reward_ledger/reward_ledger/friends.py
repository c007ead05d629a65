"""Mutual friendships: both sides ask; friend actions (steal, water, feed) need both to have asked.

One item per pair (``pk=FRIENDS#<a>#<b>`` with a < b) holds the set of users who asked. Asking is one
``UpdateItem`` adding the caller to the set (``ALL_NEW``): atomic, naturally idempotent, and two users
asking at the same moment still end up friends (no read-then-write race). A friend action carries
:func:`mutual_guard` (a ``ConditionCheck`` on the pair item) inside its own ledger transaction, so the
check costs no extra call and cannot be raced.
"""

from __future__ import annotations

from typing import Literal

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from reward_ledger import clock
from reward_ledger.errors import Forbidden, ValidationFailed
from reward_ledger.ledger import Guard
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.users import USER_ID


class Friendship(Model):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="PAIR")
    asked = UnicodeSetAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


def pair_key(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"FRIENDS#{first}#{second}"


def check_friend_id(user_id: str, friend_id: str) -> None:
    if not USER_ID.match(friend_id):
        raise ValidationFailed("friend_id must be 1..128 characters of [A-Za-z0-9_.@:-]")
    if friend_id == user_id:
        raise ValidationFailed("you cannot befriend yourself")


def befriend(user_id: str, friend_id: str) -> Literal["requested", "friends"]:
    """``user_id`` asks ``friend_id``; ``friends`` once both have asked (one UpdateItem)."""
    check_friend_id(user_id, friend_id)
    item = Friendship(pk=pair_key(user_id, friend_id), sk="PAIR")
    item.update(
        actions=[Friendship.asked.add({user_id}), Friendship.updated_at.set(clock.iso(clock.now()))],
        add_version_condition=False,
    )
    return "friends" if friend_id in (item.asked or set()) else "requested"


def are_friends(a: str, b: str) -> bool:
    try:
        item = Friendship.get(pair_key(a, b), "PAIR")
    except Friendship.DoesNotExist:
        return False
    return {a, b} <= (item.asked or set())


def mutual_guard(user_id: str, friend_id: str) -> Guard:
    """A ``ConditionCheck`` for a friend action: fails with 403 unless both have asked."""
    check_friend_id(user_id, friend_id)
    return Guard.check(
        Friendship,
        pair_key(user_id, friend_id),
        "PAIR",
        Friendship.asked.contains(user_id) & Friendship.asked.contains(friend_id),
        lambda _old: Forbidden(f"{friend_id} and you are not mutual friends"),
    )
