"""Mutual friendships: both sides ask; friend actions (steal, water, feed) need both to have asked.

One item per pair (``pk=FRIENDS#<a>#<b>`` with a < b) holds the set of users who asked. A new ask adds
the caller to the set and counts against the ``friend_requests`` rate limit in one transaction (asking
again counts nothing); two users asking at the same moment still end up friends (no read-then-write
race). A friend action carries
:func:`mutual_guard` (a ``ConditionCheck`` on the pair item) inside its own ledger transaction, so the
check costs no extra call and cannot be raced.

Each side also has an edge item (``pk=FRIENDLIST#<user>``, ``sk=<other>``) so ``GET /v1/friends`` is one
query of the caller's partition plus one BatchGetItem of the pair items, never a scan. Unfriending
deletes the pair and both edges in one transaction: every friend action's guard fails from then on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from reward_ledger import clock
from reward_ledger.errors import Forbidden, NotFound, ValidationFailed
from reward_ledger.ledger import Guard
from reward_ledger.ledger.models import LedgerTableMeta
from reward_ledger.ledger.table import LedgerModel
from reward_ledger.rate_limits import RateCharge, write_charged
from reward_ledger.replies import Reply
from reward_ledger.users import USER_ID

MAX_LISTED = 500  # friends, requests and invitations listed by GET /v1/friends
FriendStatus = Literal["friends", "requested", "invited"]


class Friendship(LedgerModel):
    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="PAIR")
    asked = UnicodeSetAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class FriendEdge(LedgerModel):
    """``pk=FRIENDLIST#<user>``, ``sk=<other>``: the user is in a pair item with ``other``."""

    class Meta(LedgerTableMeta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    since = UnicodeAttribute(null=True)


def edge_partition(user_id: str) -> str:
    return f"FRIENDLIST#{user_id}"


def pair_key(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"FRIENDS#{first}#{second}"


def check_friend_id(user_id: str, friend_id: str) -> None:
    if not USER_ID.fullmatch(friend_id):
        raise ValidationFailed("friend_id must be 1..128 characters of [A-Za-z0-9_.@:-]")
    if friend_id == user_id:
        raise ValidationFailed("you cannot befriend yourself")


def befriend(user_id: str, friend_id: str) -> Literal["requested", "friends"]:
    """``user_id`` asks ``friend_id``; ``friends`` once both have asked.

    A new ask adds the caller to the pair's set and counts against the caller's ``friend_requests``
    rate limit in one transaction (429 past it); asking again changes and counts nothing. The answer
    reads the pair back (consistent), so two users asking at once still both see ``friends``.
    """
    check_friend_id(user_id, friend_id)
    _ensure_edges(
        user_id, friend_id
    )  # first: an edge without its pair is not listed, the reverse would hide it
    now = clock.now()
    item = Friendship(pk=pair_key(user_id, friend_id), sk="PAIR")
    new_ask = Friendship.asked.does_not_exist() | ~Friendship.asked.contains(user_id)
    write_charged(
        RateCharge("friend_requests", user_id, now),
        lambda tx: tx.update(
            item,
            actions=[Friendship.asked.add({user_id}), Friendship.updated_at.set(clock.iso(now))],
            condition=new_ask,
        ),
    )
    asked = Friendship.get(item.pk, "PAIR", consistent_read=True).asked or set()
    return "friends" if friend_id in asked else "requested"


def _ensure_edges(user_id: str, friend_id: str) -> None:
    """Both sides' edge items (idempotent puts; a repeat rewrites the same items)."""
    now = clock.iso(clock.now())
    FriendEdge(pk=edge_partition(user_id), sk=friend_id, since=now).save()
    FriendEdge(pk=edge_partition(friend_id), sk=user_id, since=now).save()


def status_of(user_id: str, other: str, asked: set[str]) -> FriendStatus:
    if {user_id, other} <= asked:
        return "friends"
    return "requested" if user_id in asked else "invited"


class FriendLink(Reply):
    friend_id: str = Field(description="the other user's id", examples=["bob"])
    status: FriendStatus = Field(
        description="friends: both asked; requested: you asked; invited: they asked, you may answer"
    )


def list_friends(user_id: str) -> list[FriendLink]:
    """Friends, requests the caller sent (``requested``) and requests to answer (``invited``)."""
    others = [e.sk for e in FriendEdge.query(edge_partition(user_id), limit=MAX_LISTED)]
    pairs = {
        p.pk: set(p.asked or ())
        for p in Friendship.batch_get([(pair_key(user_id, o), "PAIR") for o in others])
    }
    return [
        FriendLink(friend_id=other, status=status_of(user_id, other, pairs[pair_key(user_id, other)]))
        for other in others
        if pair_key(user_id, other) in pairs  # an edge whose pair is gone: removed meanwhile
    ]


def unfriend(user_id: str, friend_id: str) -> None:
    """Remove the friendship (or a pending request) on both sides, in one transaction; 404 if none."""
    check_friend_id(user_id, friend_id)
    connection = Friendship._get_connection().connection
    try:
        with TransactWrite(connection=connection) as tx:
            tx.delete(
                Friendship(pk=pair_key(user_id, friend_id), sk="PAIR"), condition=Friendship.pk.exists()
            )
            tx.delete(FriendEdge(pk=edge_partition(user_id), sk=friend_id))
            tx.delete(FriendEdge(pk=edge_partition(friend_id), sk=user_id))
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            raise NotFound(f"you and {friend_id} are not friends and have no pending request") from exc
        raise


def are_friends(a: str, b: str) -> bool:
    try:
        item = Friendship.get(pair_key(a, b), "PAIR")
    except Friendship.DoesNotExist:
        return False
    return {a, b} <= (item.asked or set())


def require_friends(user_id: str, friend_id: str) -> None:
    """For a read of a friend's state (their lots, their chicken): 400 for a bad id, 403 unless mutual."""
    check_friend_id(user_id, friend_id)
    if not are_friends(user_id, friend_id):
        raise Forbidden(f"{friend_id} and you are not mutual friends")


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
