"""Every entry kind the features write is decided: reversible with a hook, or refused with a reason, and
docs/ledger.md says which. A new kind fails here until its owner decides."""

from __future__ import annotations

import re

from infra.template import ROOT
from reward_ledger.wiring import PRODUCT

REVERSAL_HOOKS, NOT_REVERSIBLE = PRODUCT.reversal_hooks, PRODUCT.not_reversible
LAYER = ROOT / "layers" / "reward_ledger" / "reward_ledger"
LITERAL_KIND = re.compile(r'kind=f?"([a-z][a-z._]*)(\{[^}]*\})?"|_KIND = "([a-z][a-z._]*)"')


def written_kinds() -> set[str]:
    kinds: set[str] = set()
    for path in LAYER.rglob("*.py"):
        for match in LITERAL_KIND.finditer(path.read_text(encoding="utf-8")):
            literal, templated, constant = match.groups()
            if literal and not templated:
                kinds.add(literal)
            elif constant:
                kinds.add(constant)
    return kinds - EXPIRER_KINDS


# names of expirers in the expiry index (``exp_kind``), not entry kinds
EXPIRER_KINDS = {"hold", "oxygen_lot", "egg_batch"}


def test_every_kind_is_decided_once() -> None:
    kinds = written_kinds()
    assert {"wallet.funded", "savings.choice", "games.result", "forest.collect"} <= kinds  # the scan works
    assert not set(REVERSAL_HOOKS) & set(NOT_REVERSIBLE)
    undecided = kinds - set(REVERSAL_HOOKS) - set(NOT_REVERSIBLE)
    assert not undecided, f"decide whether these kinds are reversible (reward_ledger/wiring.py): {undecided}"


def test_docs_say_which_kinds_are_reversible() -> None:
    text = (ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")
    section = text.split("## Reversals", 1)[1].split("\n## ", 1)[0]
    for kind in [*REVERSAL_HOOKS, *NOT_REVERSIBLE]:
        assert f"`{kind}`" in section, kind
