"""Operators' audit routes: entries, reversals, any account's balance at a moment and history, and the
stored reconciliation reports. Every route needs the ``ledger/admin`` scope (the JWT authorizer in the
template, and again here); a reversal records the operator (the token's ``sub``) and the reason.
"""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from reward_ledger.audit import (
    AccountBalance,
    AccountHistory,
    EntryView,
    account_balance,
    account_history,
    entry_view,
)
from reward_ledger.config import StrictModel
from reward_ledger.edge.http import entry_response, idempotency_key, json_response, make_resolver
from reward_ledger.edge.openapi import IdempotencyKeyHeader, Reply, link, responses
from reward_ledger.edge.roles import operator
from reward_ledger.ledger import reconcile_runs
from reward_ledger.ledger.history import MAX_PAGE
from reward_ledger.ledger.reconcile_runs import ReconciliationRun
from reward_ledger.ledger.reversal import MAX_REASON, reverse
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer, correlation_paths
from reward_ledger.runtime import ledger
from reward_ledger.wiring import PRODUCT

logger = Logger()
metrics = Metrics()
tracer = Tracer()
app = make_resolver()

ENTRY_ID = r"^[a-z0-9]{1,64}$"
ACCOUNT = "owner/book/asset, its slashes percent-encoded (alice%2Fwallet%2FCNY)"


class Reversal(StrictModel):
    reason: str = Field(min_length=1, max_length=MAX_REASON, examples=["duplicate payout, ticket 4711"])


class Reversed(Reply):
    """The opposite postings were written once (a pending entry is voided instead)."""

    reversal_id: str = Field(
        description="the reversing (or voiding) entry", examples=["r4x9a1b3c5d7e9f0k7q2"]
    )
    entry_id: str = Field(description="the entry reversed", examples=["k7q2m4x9a1b3c5d7e9f0"])
    state: Literal["voided"] | None = Field(default=None, description="voided: a pending entry was voided")


@app.get(
    "/v1/admin/entries/<entry_id>",
    summary="One entry as stored: postings, state, reversal",
    responses=responses(EntryView, problems=[403, 404]),
)
@tracer.capture_method
def get_entry(entry_id: Annotated[str, Path(pattern=ENTRY_ID)]) -> Response[str]:
    operator(app)
    return json_response(200, entry_view(ledger(), entry_id))


@app.post(
    "/v1/admin/entries/<entry_id>/reversal",
    summary="Reverse a posted entry (void a pending one)",
    responses=responses(
        Reversed,
        201,
        problems=[403, 404, 409, 422],
        links={
            "getReversal": link(
                "get_entry_v1_admin_entries__entry_id__get", entry_id="$response.body#/reversal_id"
            )
        },
    ),
)
@tracer.capture_method
def post_reversal(
    entry_id: Annotated[str, Path(pattern=ENTRY_ID)],
    body: Annotated[Reversal, Body()],
    key: IdempotencyKeyHeader,
) -> Response[str]:
    actor = operator(app).user
    idempotency_key(app, body.model_dump())  # every POST carries one; a reversal is itself once per entry
    result = reverse(
        ledger(),
        entry_id,
        operator=actor,
        reason=body.reason,
        hooks=PRODUCT.reversal_hooks,
        refused=PRODUCT.not_reversible,
    )
    if not result.replayed:
        metrics.add_metric("EntriesReversed", MetricUnit.Count, 1)
    logger.info("entry reversed", extra={"entry_id": entry_id, "reversal_id": result.entry_id, "by": actor})
    return entry_response(result, Reversed)


@app.get(
    "/v1/admin/accounts/<account>/balance",
    summary="An account's balance at a moment, from its journal",
    responses=responses(AccountBalance, problems=[403]),
)
@tracer.capture_method
def get_balance(
    account: Annotated[str, Path(max_length=256, description=ACCOUNT)],
    at: Annotated[str | None, Query(max_length=64, description="ISO-8601 instant; default now")] = None,
) -> Response[str]:
    operator(app)
    return json_response(200, account_balance(account, at))


@app.get(
    "/v1/admin/accounts/<account>/history",
    summary="Any account's postings, newest first",
    responses=responses(
        AccountHistory,
        problems=[403],
        links={
            "getNewest": link(
                "get_entry_v1_admin_entries__entry_id__get", entry_id="$response.body#/entries/0/entry_id"
            ),
            "reverseNewest": link(
                "post_reversal_v1_admin_entries__entry_id__reversal_post",
                entry_id="$response.body#/entries/0/entry_id",
            ),
        },
    ),
)
@tracer.capture_method
def get_history(
    account: Annotated[str, Path(max_length=256, description=ACCOUNT)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="entries per page")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="`next_cursor` of the previous page")
    ] = None,
) -> Response[str]:
    operator(app)
    return json_response(200, account_history(account, limit, cursor))


@app.get(
    "/v1/admin/reconciliations/latest",
    summary="The latest reconciliation report",
    responses=responses(ReconciliationRun, problems=[403, 404]),
)
@tracer.capture_method
def get_latest_reconciliation() -> Response[str]:
    operator(app)
    return json_response(200, reconcile_runs.latest())


@app.get(
    "/v1/admin/reconciliations/<run_id>",
    summary="One reconciliation report by its run id",
    responses=responses(ReconciliationRun, problems=[403, 404]),
)
@tracer.capture_method
def get_reconciliation(run_id: Annotated[str, Path(max_length=64)]) -> Response[str]:
    operator(app)
    return json_response(200, reconcile_runs.by_id(run_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
