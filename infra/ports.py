"""What the gateway and the ``/_local`` routes need from a running stack (``infra.stack.LocalStack``
provides it). Declared here so that the HTTP side depends on this interface, never on the stack module:
the stack builds the gateway, not the other way round."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TextIO

from infra.discovery import Schedule, StackModel


class Stack(Protocol):
    model: StackModel
    jwt_secret: str | None
    log: TextIO | None
    seeded: list[str]
    broken: dict[str, str]

    def say(self, text: str) -> None: ...

    def invoke(self, function: str, event: dict[str, Any]) -> Any: ...

    def put_event(self, source: str, detail_type: str, detail: Any) -> tuple[str, list[str], list[Any]]: ...

    def schedules(self) -> list[Schedule]: ...

    def run_schedule(self, schedule: Schedule) -> Any: ...

    def queue_report(self) -> dict[str, Any]: ...

    def set_source_enabled(self, mapping: str, enabled: bool) -> bool: ...

    def functions_report(self) -> list[dict[str, Any]]: ...

    def openapi(self) -> dict[str, Any]: ...

    def set_clock(self, instant: datetime | None) -> None: ...

    def clock_pinned(self) -> bool: ...

    def outbox_events(self, detail_type: str | None, user_id: str | None) -> list[dict[str, Any]]: ...

    def streams_report(self) -> list[dict[str, Any]]: ...
