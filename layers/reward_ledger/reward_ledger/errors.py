"""Domain errors: the one registry of problem slugs.

Every error a client can see carries its RFC 9457 problem ``type`` slug and HTTP status here, in one
place, so the edge never has to guess and a new error cannot silently become a 500. Features raise these
classes and never declare their own (``tests/contract/test_problem_slugs.py`` reads the source for a
``slug`` declared elsewhere or a literal one handed to ``problem(...)``); the OpenAPI ``Problem.type``
enum is this module's classes (``edge.openapi.problem_slugs``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class LedgerError(Exception):
    """Base class of every domain error; ``slug`` and ``status`` form the problem+json answer."""

    slug: ClassVar[str] = "ledger-error"
    title: ClassVar[str] = "Ledger error"
    status: ClassVar[int] = 422

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context


class ValidationFailed(LedgerError):
    slug = "validation-error"
    title = "Invalid request"
    status = 400


class UnsupportedMediaType(LedgerError):
    """A body that is not ``application/json``."""

    slug = "unsupported-media-type"
    title = "Unsupported media type"
    status = 415


class Unauthorized(LedgerError):
    slug = "unauthorized"
    title = "Missing or invalid token"
    status = 401


class Forbidden(LedgerError):
    slug = "forbidden"
    title = "Not allowed"
    status = 403


class NotFound(LedgerError):
    slug = "not-found"
    title = "Not found"
    status = 404


class GameSuspended(NotFound):
    """An operator suspended the game: users see it as absent from the catalog (``GET /v1/games``)."""


class IdempotencyConflict(LedgerError):
    """The idempotency key was already used with a different request body."""

    slug = "idempotency-conflict"
    title = "Idempotency key reused with a different request"
    status = 409


class ChapterMismatch(LedgerError):
    slug = "chapter-mismatch"
    title = "Not at that chapter"
    status = 409


class AlreadyDone(LedgerError):
    """A single-use thing (session, lot, box, marker) was already used."""

    slug = "already-done"
    title = "Already done"
    status = 409


class AlreadyResolved(AlreadyDone):
    """A two-phase entry was already posted or voided (by its worker, an operator or its timeout)."""


class Expired(AlreadyDone):
    """The thing is past its time (a session, a lot, a rental not returned when due): it is over."""


class KeptChanging(LedgerError):
    """Retries ran out: the items a write depends on changed between every read and write (a storm of
    concurrent writes on one user's lots or chicken). Not "already done": nothing was done, try again.
    Clients see the ``already-done`` slug the contract has always given this answer."""

    slug = "already-done"
    title = "Already done"
    status = 409


class InsufficientFunds(LedgerError):
    slug = "insufficient-funds"
    title = "Insufficient funds"
    status = 422


class DailyCapReached(LedgerError):
    slug = "daily-cap-reached"
    title = "Daily cap reached"
    status = 422


class BelowThreshold(LedgerError):
    slug = "below-threshold"
    title = "Below threshold"
    status = 422


class NotRipe(LedgerError):
    slug = "not-ripe"
    title = "Not ripe yet"
    status = 422


class OutOfStock(LedgerError):
    slug = "out-of-stock"
    title = "Out of stock"
    status = 422


class PayloadTooLarge(LedgerError):
    slug = "payload-too-large"
    title = "Payload too large"
    status = 413


class RateLimited(LedgerError):
    """Too many requests; ``retry_after`` (seconds) becomes the ``Retry-After`` header."""

    slug = "rate-limited"
    title = "Too many requests"
    status = 429

    def __init__(self, detail: str, *, retry_after: int = 1, **context: Any) -> None:
        super().__init__(detail, **context)
        self.retry_after = max(1, retry_after)


class RetriesExhausted(LedgerError):
    """Contention, throttling or lost answers outlasted the bounded retry: retry with the same key."""

    slug = "contention"
    title = "Busy, retry with the same Idempotency-Key"
    status = 503


class MinSpendNotMet(LedgerError):
    """A merchant coupon redeemed on an order below its ``min_spend``."""

    slug = "min-spend-not-met"
    title = "Minimum spend not met"
    status = 422


class CouponExpired(LedgerError):
    """A merchant coupon redeemed after its validity."""

    slug = "coupon-expired"
    title = "Coupon expired"
    status = 422


class EffectUnavailable(LedgerError):
    """A campaign whose effect has no account yet (points) cannot be activated."""

    slug = "effect-unavailable"
    title = "Effect not available yet"
    status = 422


class InternalError(LedgerError):
    """What the edge answers for a bug (any exception no handler maps): never for what a client sent."""

    slug = "internal-error"
    title = "Internal error"
    status = 500


class NotReversible(LedgerError):
    """An entry an operator may not reverse: its kind has feature state no hook can undo, it is a
    resolution or a reversal itself, or the feature state has moved on since (see docs/ledger.md)."""

    slug = "not-reversible"
    title = "Entry cannot be reversed"
    status = 422


class InviteRefused(LedgerError):
    """An invite code that cannot be accepted by this caller (their own, or a second one)."""

    slug = "invite-refused"
    title = "Invite refused"
    status = 409


class PointsShort(LedgerError):
    """A member exchanging loyalty points for a reward holds fewer points than its price."""

    slug = "insufficient-points"
    title = "Not enough points"
    status = 422


class CampaignNotActive(LedgerError):
    """The campaign is not running now (draft, paused, ended, outside its window) or sells nothing so."""

    slug = "campaign-not-active"
    title = "Campaign not active"
    status = 422


class OutsideAudience(LedgerError):
    """The campaign is for members of some tiers only (its ``audience``), and the caller is in none."""

    slug = "outside-audience"
    title = "Not in the campaign's audience"
    status = 422


class BudgetSpent(LedgerError):
    """The campaign's budget cannot reserve the value of one more coupon."""

    slug = "budget-spent"
    title = "Campaign budget spent"
    status = 422
