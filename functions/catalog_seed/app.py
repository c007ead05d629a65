"""The ``CatalogSeed`` custom resource (template.yaml): loads the seed catalogs at every deploy that
changes the layer (``data/*.toml`` ship in it), with the code the local stack runs at start
(``reward_ledger.catalog_seed``).

CloudFormation waits for an answer on the request's pre-signed ``ResponseURL``; a stack must never hang,
so every path answers exactly once: SUCCESS after seeding, FAILED with the reason on any error, FAILED
by a watchdog shortly before the function's own timeout, and SUCCESS at once for ``Delete`` (the table
is retained with the stack, and seeded data is never deleted: operators may have built on it).
"""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.catalog_seed import seed_catalogs
from reward_ledger.observability import Logger, Tracer
from reward_ledger.runtime import ledger

logger = Logger()
tracer = Tracer()
PHYSICAL_ID = "reward-ledger-catalog-seed"  # one resource for the stack's life: an update never replaces it
WATCHDOG_MARGIN_MS = 5_000  # answer FAILED this long before Lambda would stop the function unanswered
MAX_REASON = 1_000  # CloudFormation shows the reason; the whole answer must stay under 4 KB
ANSWER_TIMEOUT_SECONDS = 10


class Answer:
    """The one answer to one CloudFormation request (the first ``send`` wins)."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self._lock = threading.Lock()
        self.sent: str | None = None

    def send(self, status: str, reason: str = "", data: dict[str, Any] | None = None) -> None:
        with self._lock:
            if self.sent is not None:
                return
            self.sent = status
        body = {
            "Status": status,
            "Reason": reason[:MAX_REASON] or status,
            "PhysicalResourceId": self.event.get("PhysicalResourceId") or PHYSICAL_ID,
            "StackId": self.event.get("StackId", ""),
            "RequestId": self.event.get("RequestId", ""),
            "LogicalResourceId": self.event.get("LogicalResourceId", ""),
            "Data": data or {},
        }
        payload = json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - CloudFormation's pre-signed https URL
            str(self.event["ResponseURL"]),
            data=payload,
            method="PUT",
            headers={"Content-Type": "", "Content-Length": str(len(payload))},
        )
        try:
            with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT_SECONDS):  # noqa: S310
                pass
        except OSError:
            with self._lock:
                self.sent = None  # not delivered: the next path (the failure's answer) tries again
            raise
        logger.info("answered CloudFormation", extra={"status": status, "reason": body["Reason"]})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    answer = Answer(event)
    budget_s = max(context.get_remaining_time_in_millis() - WATCHDOG_MARGIN_MS, 0) / 1000
    watchdog = threading.Timer(budget_s, answer.send, ("FAILED", "the seed ran out of time; deploy again"))
    watchdog.daemon = True
    watchdog.start()
    try:
        if event.get("RequestType") == "Delete":
            answer.send("SUCCESS", "seeded data stays with the retained table")
        else:
            report = seed_catalogs(ledger())
            logger.info("catalogs seeded", extra={"report": report})
            answer.send("SUCCESS", f"{len(report)} catalog items seeded or kept", {"Items": str(len(report))})
    except Exception as exc:  # every failure is an answer, never a hanging stack
        logger.exception("catalog seed failed")
        answer.send("FAILED", f"{type(exc).__name__}: {exc}")
    finally:
        watchdog.cancel()
    return {"status": answer.sent}
