"""Every model of the ledger table shares one connection, so one botocore client per environment."""

from __future__ import annotations

from reward_ledger.ledger.table import LedgerModel
from reward_ledger.wiring import PRODUCT


def test_every_product_model_is_a_ledger_model() -> None:
    """A model on plain ``pynamodb.Model`` would build its own botocore client on its first call."""
    plain = [model.__name__ for model in PRODUCT.models if not issubclass(model, LedgerModel)]
    assert plain == []


def test_all_models_answer_through_one_connection_that_knows_every_index(ledger_table: str) -> None:
    connections = {id(model._get_connection().connection) for model in PRODUCT.models}
    assert len(connections) == 1
    shared = PRODUCT.models[0]._get_connection().connection
    meta = shared.get_meta_table(ledger_table)
    for model in PRODUCT.models:
        for index in model._get_schema()["global_secondary_indexes"]:
            assert meta.get_index_hash_keyname(index["index_name"])  # queries on it can be keyed
