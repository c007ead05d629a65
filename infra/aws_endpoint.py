"""The embedded AWS: moto served on a loopback port, the endpoint every local function reaches.

Functions run in their own processes (:mod:`infra.workers`) and call it as they would call AWS, through
``AWS_ENDPOINT_URL``. Two things AWS does that moto's server does not are added in front of it:

* **IAM.** A request signed with a function's access key (:func:`infra.worker_env.access_key`) is checked
  against that function's role (:func:`infra.iam.denial`) and refused with ``AccessDeniedException``, as AWS
  refuses it; other credentials (the stack's own plumbing, tests) are not checked.
* **Atomic calls.** moto applies a call without locks: requests are applied one at a time, so each call is
  atomic as DynamoDB and SQS calls are, while the functions still race between their calls.
  :mod:`infra.moto_patches` makes a failed transaction roll back only its own items.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from infra.iam import CHECKED_SERVICES, denial

HOST = "127.0.0.1"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/")
_SERVICE_BY_SIGNING_NAME = {prefix: name for name, prefix in CHECKED_SERVICES.items()}
StartResponse = Callable[..., Any]


class Roles:
    """Access key id -> (function, the actions its role allows)."""

    def __init__(self, roles: Mapping[str, tuple[str, frozenset[str]]]) -> None:
        self.roles = dict(roles)

    def refusal(self, environ: dict[str, Any], body: bytes) -> tuple[str, bool] | None:
        """(why the request is refused, whether it speaks JSON) or None when it may proceed."""
        found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        acting = self.roles.get(found.group(1)) if found else None
        if acting is None or found is None:
            return None
        service = _SERVICE_BY_SIGNING_NAME.get(found.group(2), found.group(2))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            operation = target.rpartition(".")[2]
            try:
                params: Any = json.loads(body) if body.strip() else {}
            except ValueError:
                params = {}
        else:  # the query protocol: Action=... in the form body
            form = parse_qs(body.decode("utf-8", "replace"))
            operation, params = form.get("Action", [""])[0], {}
        reason = denial(acting[0], acting[1], service, operation, params)
        return (reason, bool(target)) if reason is not None else None


class Gatekeeper:
    """WSGI middleware in front of moto's server app: IAM, then one call at a time."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]], roles: Roles) -> None:
        self.app = app
        self.roles = roles
        self._lock = threading.RLock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        import io

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        refused = self.roles.refusal(environ, body)
        if refused is not None:
            return _access_denied(start_response, *refused)
        with self._lock:
            return list(self.app(environ, start_response))


def _access_denied(start_response: StartResponse, reason: str, speaks_json: bool) -> list[bytes]:
    if speaks_json:
        payload = json.dumps({"__type": "AccessDeniedException", "message": reason}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-ErrorType", "AccessDeniedException"),
        ]
        status = "400 Bad Request"
    else:
        payload = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            f"<Message>{reason}</Message></Error></ErrorResponse>"
        ).encode()
        headers, status = [("Content-Type", "text/xml")], "403 Forbidden"
    start_response(status, [*headers, ("Content-Length", str(len(payload)))])
    return [payload]


class EmbeddedAws:
    """moto's server with :class:`Gatekeeper` in front, on ``127.0.0.1`` (port 0: any free port)."""

    def __init__(self, roles: Roles, port: int = 0) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from infra.moto_patches import install

        install()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
        app = Gatekeeper(DomainDispatcherApplication(create_backend_app), roles)
        self._server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> EmbeddedAws:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(10)
        self._server.server_close()
