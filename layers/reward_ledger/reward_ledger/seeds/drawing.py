"""The verifiable draw: ``HMAC-SHA256(epoch_secret, box_id)`` picks a row of the prize table."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reward_ledger.seeds.config import PrizeTable, prize_table
from reward_ledger.seeds.epochs import commitment, epoch_of, epoch_secret


@dataclass(frozen=True, slots=True)
class Draw:
    seeds: int
    proof: dict[str, Any]


def compute_draw(secret: bytes, box_id: str, table: PrizeTable) -> tuple[str, int, int, int]:
    """``(mac_hex, roll, row_index, seeds)``: the whole draw, a pure function of its inputs."""
    mac = hmac.new(secret, box_id.encode("utf-8"), hashlib.sha256).hexdigest()
    roll = int(mac[:16], 16) % table.total_weight
    index, row = table.prize(roll)
    return mac, roll, index, row.seeds


def draw(box_id: str, instant: datetime) -> Draw:
    table = prize_table()
    epoch = epoch_of(instant)
    secret = epoch_secret(epoch)
    mac, roll, index, seeds = compute_draw(secret, box_id, table)
    proof = {
        "algorithm": "HMAC-SHA256(epoch_secret, box_id); roll = int(hmac[:16], 16) mod total_weight",
        "box_id": box_id,
        "epoch": epoch,
        "commitment": commitment(secret),
        "table_version": table.version,
        "total_weight": table.total_weight,
        "hmac": mac,
        "roll": roll,
        "row": index,
    }
    return Draw(seeds, proof)


def verify(proof: dict[str, Any], secret_hex: str) -> int:
    """Recompute a draw from its proof and the revealed epoch secret; the seeds it must have paid.

    Raises ``ValueError`` when the secret does not match the epoch's commitment or the proof's hmac.
    """
    secret = bytes.fromhex(secret_hex)
    if commitment(secret) != proof["commitment"]:
        raise ValueError("secret does not match the epoch's commitment")
    mac, roll, index, seeds = compute_draw(secret, proof["box_id"], prize_table(proof["table_version"]))
    if (mac, roll, index) != (proof["hmac"], proof["roll"], proof["row"]):
        raise ValueError("proof does not match the recomputed draw")
    return seeds
