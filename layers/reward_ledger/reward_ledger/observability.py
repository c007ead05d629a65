"""Logger, Metrics and Tracer for every handler, and the metrics the ledger itself emits.

Handlers import their observability from here, so what a cold start pays is decided once:

* ``Tracer()`` is Powertools' Tracer over a provider that imports the X-Ray SDK and patches botocore on
  the first traced call, not at import (Powertools' own provider costs ~140 ms of import). Traces are
  the same: the handler's subsegment opens before any AWS call, so every DynamoDB/SQS call is patched
  by the time it is made. With tracing disabled (tests, the local stack) the SDK is never imported.
* Only botocore is patched (:data:`PATCHED_MODULES`), not everything the SDK knows: every call this
  code makes out of the process is an AWS call through botocore (PynamoDB's included), and
  ``patch_all()`` imports each supported library it finds installed (httpx, requests, sqlite3, ...)
  to patch it, which cost more than the rest of the first call together and made the cold path
  depend on what else was installed.
* :func:`count_entry` and :func:`count_refusal` emit one EMF line each (``single_metric``) for the
  dashboard: entries committed by kind, campaign budget spent, refusals by problem type. They need no
  handler to flush them, and they print nothing when metrics are disabled.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.tracing.base import BaseProvider
from aws_lambda_powertools.tracing.tracer import Tracer as _PowertoolsTracer

__all__ = ["LazyXRayProvider", "Logger", "MetricUnit", "Metrics", "Tracer", "correlation_paths"]

NAMESPACE_DEFAULT = "RewardLedger"  # the template's POWERTOOLS_METRICS_NAMESPACE
# what the X-Ray SDK patches: every AWS call (boto3's and PynamoDB's) goes through botocore
PATCHED_MODULES = ("botocore",)


class _NoSegment:
    """What a disabled tracer hands to Powertools: every call is a no-op."""

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        return None


class LazyXRayProvider(BaseProvider):
    """Powertools' X-Ray provider, loaded (and botocore patched) on the first traced call."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._recorder: Any = None

    def recorder(self) -> Any:
        if self._recorder is None:
            from aws_xray_sdk.core import patch, xray_recorder

            xray_recorder.configure(streaming_threshold=0)  # as Powertools does: one subsegment per send
            patch(PATCHED_MODULES)  # Powertools' auto_patch at import, narrowed to what this code calls
            self._recorder = xray_recorder
        return self._recorder

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[Any]:
        if not self.enabled:
            yield _NoSegment()
            return
        with self.recorder().in_subsegment(name=name, **kwargs) as subsegment:
            yield subsegment

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        if not self.enabled:
            yield _NoSegment()
            return
        async with self.recorder().in_subsegment_async(name=name, **kwargs) as subsegment:
            yield subsegment

    def put_annotation(self, key: str, value: Any) -> None:
        if self.enabled:
            self.recorder().put_annotation(key=key, value=value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        if self.enabled:
            self.recorder().put_metadata(key=key, value=value, namespace=namespace)

    def patch(self, modules: Sequence[str]) -> None:
        if self.enabled:
            from aws_xray_sdk.core import patch

            patch(modules)

    def patch_all(self) -> None:
        if self.enabled:
            self.recorder()


_PROVIDER: LazyXRayProvider | None = None


def Tracer() -> _PowertoolsTracer:  # noqa: N802 (a drop-in for Powertools' class)
    """Powertools' Tracer on the lazy provider (one per process, as Powertools shares its config)."""
    global _PROVIDER
    if _PROVIDER is None:
        _PROVIDER = LazyXRayProvider(enabled=not _PowertoolsTracer._is_tracer_disabled())
    return _PowertoolsTracer(provider=_PROVIDER, auto_patch=False)


def _emit(name: str, value: int, dimensions: dict[str, str]) -> None:
    if is_metrics_disabled():
        return
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE_DEFAULT
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=namespace) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)


def count_entry(kind: str, budget_spent: dict[str, int]) -> None:
    """One committed ledger entry of ``kind``; ``budget_spent`` maps campaign id -> minor units debited."""
    _emit("EntriesCommitted", 1, {"kind": kind})
    for campaign, amount in budget_spent.items():
        _emit("CampaignBudgetSpent", amount, {"campaign": campaign})


def count_refusal(problem_type: str) -> None:
    """One request refused with a problem+json ``type`` (insufficient-funds, cap-reached, ...)."""
    _emit("Refusals", 1, {"problem": problem_type})
