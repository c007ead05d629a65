"""Edge helpers shared by the thin handlers: problem+json errors, the caller's identity, idempotency."""
