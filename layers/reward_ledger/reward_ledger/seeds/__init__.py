"""Treasure boxes and sesame seeds.

* A qualifying ``payment.completed`` event grants a treasure box (:mod:`.boxes`), once per payment and
  within a per-user daily cap.
* Opening a box draws seeds from the published prize table with a verifiable draw (:mod:`.drawing`) and
  credits them in the same transaction that flips the box to ``opened``: a box opens once.
* Seeds are donated to pooled charity projects (:mod:`.donations`).

The draw (see ``data/seeds.toml``): ``mac = HMAC-SHA256(epoch_secret, box_id)``, ``roll = int(mac[:16], 16)
mod total_weight``, prize = first row whose cumulative weight exceeds ``roll``. The epoch is the UTC day of
the opening; ``epoch_secret = HMAC-SHA256(master, "seeds-draw-epoch:<epoch>")``; ``SHA-256(epoch_secret)`` is
the epoch's commitment, and the secret itself is revealed once the epoch is over (:mod:`.epochs`), so anyone
can recompute every draw of that epoch from its proof.
"""

from reward_ledger.seeds.boxes import (
    COUNTER_KEEP,
    Box,
    BoxDayCounter,
    BoxItem,
    PaymentCompleted,
    box_id_for,
    box_pk,
    box_sk,
    boxes_view,
    grant_box,
    open_box,
    qualifies,
)
from reward_ledger.seeds.config import (
    EPOCH_PATTERN,
    ID_PATTERN,
    SEED,
    PrizeTable,
    SeedsSettings,
    prize_table,
    settings,
)
from reward_ledger.seeds.donations import donate_seeds
from reward_ledger.seeds.drawing import Draw, compute_draw, draw, verify
from reward_ledger.seeds.epochs import Epoch, commitment, epoch_end, epoch_of, epoch_secret, epoch_view

__all__ = [
    "COUNTER_KEEP",
    "EPOCH_PATTERN",
    "ID_PATTERN",
    "SEED",
    "Box",
    "BoxDayCounter",
    "BoxItem",
    "Draw",
    "Epoch",
    "PaymentCompleted",
    "PrizeTable",
    "SeedsSettings",
    "box_id_for",
    "box_pk",
    "box_sk",
    "boxes_view",
    "commitment",
    "compute_draw",
    "donate_seeds",
    "draw",
    "epoch_end",
    "epoch_of",
    "epoch_secret",
    "epoch_view",
    "grant_box",
    "open_box",
    "prize_table",
    "qualifies",
    "settings",
    "verify",
]
