"""Security fixtures: the local stack of template.yaml (gateway with the JWT check, a worker per function),
the same module-scoped ``stack`` and ``client`` the local stack's own tests use."""

from tests.local.conftest import client, stack

__all__ = ["client", "stack"]
