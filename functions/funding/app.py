"""wallet.funded and merchant.funded consumer (EventBridge): credit the user's wallet or the merchant's
prepaid money exactly once per funding_id."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from reward_ledger.campaigns.merchants import MerchantFunded, fund_merchant
from reward_ledger.edge.events import parse_detail
from reward_ledger.funding import WalletFunded, fund_wallet
from reward_ledger.observability import Logger, Metrics, MetricUnit, Tracer
from reward_ledger.runtime import ledger

logger = Logger()
metrics = Metrics()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "merchant.funded":
        return merchant_funded(event)
    _, detail = parse_detail(event, WalletFunded)
    logger.append_keys(funding_id=detail.funding_id)
    result = fund_wallet(ledger(), detail)
    metrics.add_metric("WalletFundings", MetricUnit.Count, 1)
    if result.replayed:
        metrics.add_metric("DuplicateEvents", MetricUnit.Count, 1)
    else:
        metrics.add_metric("FundedAmountFen", MetricUnit.Count, detail.amount)
    logger.info("wallet funded", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return {"entry_id": result.entry_id, "replayed": result.replayed}


def merchant_funded(event: dict[str, Any]) -> dict[str, Any]:
    _, detail = parse_detail(event, MerchantFunded)
    logger.append_keys(funding_id=detail.funding_id, merchant_id=detail.merchant_id)
    result = fund_merchant(ledger(), detail)
    metrics.add_metric("MerchantFundings", MetricUnit.Count, 1)
    if result.replayed:
        metrics.add_metric("DuplicateEvents", MetricUnit.Count, 1)
    logger.info("merchant funded", extra={"entry_id": result.entry_id, "replayed": result.replayed})
    return {"entry_id": result.entry_id, "replayed": result.replayed}
