"""Accounts: ``owner/book/asset`` with a policy chosen by the owner's kind.

``user:u1/wallet/CNY`` is user u1's wallet in fen; ``campaign:c7/budget/CNY`` a sponsor budget;
``external:payments/O2`` the issuer of oxygen. The owner's kind (``user``, ``campaign``, ...) picks the
policy in ``data/ledger.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reward_ledger.config import AccountPolicy, ledger_settings

_PART = re.compile(r"[A-Za-z0-9_.:@-]{1,160}")  # fullmatch: "alice\n" is not "alice"


@dataclass(frozen=True, slots=True, order=True)
class Account:
    owner: str
    book: str
    asset: str

    def __post_init__(self) -> None:
        for part in (self.owner, self.book, self.asset):
            if not isinstance(part, str) or not _PART.fullmatch(part):
                raise ValueError(f"invalid account part {part!r}")
        if "/" in self.book or ":" in self.book or ":" in self.asset:
            raise ValueError(f"invalid account {self.owner}/{self.book}/{self.asset}")

    def __str__(self) -> str:
        return f"{self.owner}/{self.book}/{self.asset}"

    @classmethod
    def parse(cls, text: str) -> Account:
        owner, book, asset = text.split("/")
        return cls(owner, book, asset)

    @property
    def kind(self) -> str:
        return self.owner.split(":", 1)[0]

    @property
    def policy(self) -> AccountPolicy:
        return policy_for(self.kind)


def policy_for(kind: str) -> AccountPolicy:
    policies = ledger_settings().accounts
    return policies.kinds.get(kind, policies.default)


def user_account(user_id: str, book: str, asset: str) -> Account:
    return Account(f"user:{user_id}", book, asset)


def system_account(book: str, asset: str) -> Account:
    """House budget, holding and sink accounts: ``system/<book>/<asset>``."""
    return Account("system", book, asset)


def external_account(source: str, asset: str) -> Account:
    """An issuer outside the ledger (may go negative): ``external:<source>/issued/<asset>``."""
    return Account(f"external:{source}", "issued", asset)


def hold_account(asset: str) -> Account:
    """Where two-phase entries park funds between ``pending`` and ``post``/``void``."""
    return system_account("hold", asset)


def expired_account(asset: str) -> Account:
    """Sink for expired oxygen, eggs and the like: expiry is a journaled movement, never a delete."""
    return system_account("expired", asset)
