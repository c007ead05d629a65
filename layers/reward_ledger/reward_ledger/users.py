"""What every feature knows about a user, written once: how an IdP's id (the token's subject, a friend
id, an event's ``user_id``) becomes the user id the ledger's keys hold, and the wallet account the
user's own money sits in.

Identity providers issue ids the ledger's keys cannot hold as they are (``auth0|5f7c8e...``,
``google-oauth2|1048...``, ``émile``, ``用户``). Rather than refuse them, the edge encodes every ``sub``
once, reversibly, into the account alphabet ``[A-Za-z0-9_.@:-]``:

* a character of ``[A-Za-z0-9_.@-]`` stays as it is, so ``alice`` is still ``alice``;
* any other character (``:`` included) becomes the ``:XX`` escapes of its UTF-8 bytes (upper-case hex):
  ``auth0|5f7c`` -> ``auth0:7C5f7c``, ``émile`` -> ``:C3:A9mile``, ``a b`` -> ``a:20b``.

A plain id never holds ``:``, and an encoded one always has ``:`` followed by two hex digits, so two
different ``sub`` values never share an account and :func:`public_user_id` gives the ``sub`` back. A
``sub`` with a control character (``alice\\n``), a lone surrogate, nothing in it, more than
``MAX_SUB_CHARS`` characters or an encoding longer than ``MAX_USER_ID_CHARS`` is refused: 401 for the
caller, 400 for a user id in a path. The same function encodes a friend's id taken from a path and a
``user_id`` in an event, so every edge names one user the same way.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

from reward_ledger.ledger import Account, user_account

#: an encoded user id, as accounts and keys hold it (pydantic's ``pattern`` matches the whole text)
USER_ID_PATTERN = r"^[A-Za-z0-9_.@:-]{1,128}$"
#: the same, for ``fullmatch`` (``re``'s ``$`` matches before a final newline: ``alice\n`` is not ``alice``)
USER_ID = re.compile(USER_ID_PATTERN.removeprefix("^").removesuffix("$"))
#: the wallet's currency (funding, savings, rental deposits and withdrawals all move it)
WALLET_ASSET = "CNY"

MAX_SUB_CHARS = 255  # OpenID Connect: a sub is at most 255 ASCII characters
MAX_USER_ID_CHARS = 128  # the encoded id, as the ledger's keys hold it
_PLAIN = re.compile(r"[A-Za-z0-9_.@-]")
_ENCODED = re.compile(r"(?:[A-Za-z0-9_.@-]|:[0-9A-F]{2})+")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})  # control characters, lone surrogates


def encode_user_id(sub: str) -> str:
    """The account-safe user id of an IdP ``sub``; ``ValueError`` (with the reason) when it is unusable."""
    if not sub:
        raise ValueError("the user id is empty")
    if len(sub) > MAX_SUB_CHARS:
        raise ValueError(f"the user id is longer than {MAX_SUB_CHARS} characters")
    out: list[str] = []
    for char in sub:
        if _PLAIN.fullmatch(char):
            out.append(char)
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise ValueError("the user id holds a control character")
        out.extend(f":{byte:02X}" for byte in char.encode("utf-8"))
    encoded = "".join(out)
    if len(encoded) > MAX_USER_ID_CHARS:
        raise ValueError(f"the user id does not fit in {MAX_USER_ID_CHARS} account characters")
    assert _ENCODED.fullmatch(encoded), encoded
    return encoded


def public_user_id(user_id: str) -> str:
    """The ``sub`` an encoded user id came from (the inverse of :func:`encode_user_id`)."""
    if not _ENCODED.fullmatch(user_id):
        raise ValueError(f"{user_id!r} is not an encoded user id")
    raw = bytearray()
    index = 0
    while index < len(user_id):
        if user_id[index] == ":":
            raw.append(int(user_id[index + 1 : index + 3], 16))
            index += 3
        else:
            raw.extend(user_id[index].encode())
            index += 1
    return raw.decode("utf-8")


# A ``user_id`` in an event (the payments domain names users by their IdP id, as tokens do), encoded
# the same way: a pydantic field type, so a bad id is a validation error of the event, never a 500.
UserId = Annotated[str, AfterValidator(encode_user_id)]


def wallet_account(user_id: str) -> Account:
    """``user:<id>/wallet/CNY``: funded by ``wallet.funded`` events, spent by the features."""
    return user_account(user_id, "wallet", WALLET_ASSET)
