"""Merchants run campaigns as data: prepaid money, versioned campaigns with triggers, limits and effects,
and coupons that users hold. Rules, accounts and a worked example: docs/merchants.md.

Modules: ``accounts`` (where the money sits), ``models`` (items), ``spec`` (a campaign's validated
shape), ``merchants`` (creation, funding, view), ``lifecycle`` (versions, activate, pause, end),
``awards`` (evaluation: one entry per campaign and trigger), ``triggers`` (the events),
``vouchers`` (coupon instances: issue, redeem, rollback, expiry).
"""
