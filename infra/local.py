"""``python -m infra.local --port 3000`` (``make dev``): the whole API from template.yaml on moto.

Runs in the foreground until Ctrl-C (SIGINT) or SIGTERM, then shuts down cleanly. Start-up problems (a
template that does not translate, a handler that does not import, a port in use) print one line and exit
with status 1. ``start_stack`` starts the same stack inside another program (tests).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from types import FrameType

from infra.stack import DEFAULT_PORT, DEFAULT_RETRY_SECONDS, LocalStack, StartupError, start_stack
from infra.template import TEMPLATE

__all__ = ["LocalStack", "StartupError", "main", "start_stack"]


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError:
        return default


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=_int_env("PORT", DEFAULT_PORT), help="port on 127.0.0.1")
    parser.add_argument(
        "--template", type=Path, default=TEMPLATE, help="SAM template (default: template.yaml)"
    )
    parser.add_argument(
        "--retry-seconds",
        type=int,
        default=_int_env("LOCAL_SQS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS),
        help="seconds before a failed SQS message is visible again (local visibility timeout)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.add_argument(
        "--no-seed", action="store_true", help="start without the local seed data (LOCAL_SEED=0)"
    )
    parser.add_argument(
        "--skip-broken",
        action="store_true",
        default=os.environ.get("LOCAL_SKIP_BROKEN", "") in ("1", "true", "yes"),
        help="serve the other functions when a handler does not import (LOCAL_SKIP_BROKEN=1)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0..65535")
    if args.retry_seconds < 0:
        parser.error("--retry-seconds must be >= 0")

    # every handler with metrics disabled locally would warn on each invocation
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log = None if args.quiet else sys.stderr
    try:
        stack = start_stack(
            args.port,
            args.template.resolve(),
            retry_seconds=args.retry_seconds,
            log=log,
            seed=not args.no_seed,
            skip_broken=args.skip_broken,
        )
    except StartupError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    if stop.is_set():
        stack.stop()
        return 0
    _banner(stack)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sys.stderr.write("stopping the local stack...\n")
        stack.stop()
        sys.stderr.write("stopped\n")
    return 0


def _banner(stack: LocalStack) -> None:
    model = stack.model
    lines = [
        f"local stack on {stack.url}  (template: {model.template.name}, embedded AWS on {stack.aws_url})",
        f"  {len(model.routes)} routes from {len({r.function for r in model.routes})} functions, "
        f"{len(model.rules)} event rules, {len(model.schedules)} schedules, {len(model.queues)} queues, "
        f"{len(model.queue_sources)} SQS event sources",
        f"  Swagger UI {stack.url}/docs   OpenAPI {stack.url}/openapi.json   overview {stack.url}/_local",
        f"  each function runs in its own worker processes, started on first use: {stack.url}/_local/functions",
        "  token: make token USER=alice   (HS256, LOCAL_JWT_SECRET, default local-dev-secret)",
        *(f"  seeded: {item}" for item in stack.seeded),
        *(f"  NOT SERVED (handler does not import): {name}" for name in sorted(stack.broken)),
        "  Ctrl-C to stop",
    ]
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    raise SystemExit(main())
