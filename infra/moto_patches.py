"""Make moto's in-process DynamoDB behave like DynamoDB for this project's tests, benches and local stack.

moto 5.2 has two traits that matter to a ledger:

* ``TransactWriteItems`` deep-copies the whole table once per transaction item to be able to roll back,
  so a transaction costs O(table size): storms and benches become quadratic.
* Rollback replaces the whole table with that copy, and nothing serialises requests, so under threads a
  failed transaction can erase another thread's committed writes, and a reader can see half a transaction.

DynamoDB itself is serialisable per transaction. This module restores that: every DynamoDB API call runs
under one process-wide lock (calls are atomic with respect to each other), and a transaction snapshots
only the items it touches and restores exactly those on failure. A cancelled transaction also leaves no
stream records (moto would record its writes and their undoing), as DynamoDB Streams show only what
committed: the publisher must never see a refused request. Semantics otherwise follow moto's own
implementation (same checks, same cancellation reasons, ``ALL_OLD`` images).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_LOCK = threading.RLock()
_installed = False


def install() -> None:
    """Idempotent; call before the first DynamoDB request (``create_tables`` does)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    original_call_action = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _LOCK:
            return original_call_action(self)

    DynamoHandler.call_action = call_action
    DynamoDBBackend.transact_write_items = _transact_write_items
    _installed = True


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    snapshots: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
    target_items: set[tuple[str, str]] = set()
    stream_lengths: dict[str, int] = {}  # table -> stream records before this transaction

    def rollback() -> None:
        for table_name, key, attrs in reversed(snapshots):
            if attrs is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, attrs)
        for table_name, length in stream_lengths.items():
            del self.get_table(table_name).stream_shard.items[length:]

    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            shard = self.get_table(table_name).stream_shard
            if shard is not None and table_name not in stream_lengths:
                stream_lengths[table_name] = len(shard.items)
            condition_expression = op.get("ConditionExpression")
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            unique = (str(table_name), str(dict(sorted(key.items()))))
            if unique in target_items:
                raise MultipleTransactionsException()
            target_items.add(unique)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition = get_filter_expression(condition_expression, names, values)
                if not condition.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if op_type != "ConditionCheck":
                snapshots.append(
                    (table_name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None)
                )
            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            rollback()
            raise
        except ConditionalCheckFailed as exc:
            errors.append(("ConditionalCheckFailed", str(exc.message), original_item))
        except Exception as exc:  # moto's behaviour: any other failure is that item's reason
            errors.append((type(exc).__name__, str(exc), original_item))
    if any(code is not None for code, _, _ in errors):
        rollback()
        raise TransactionCanceledException(errors)
