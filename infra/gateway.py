"""The local HTTP gateway: the template's HttpApi routes plus the local-only ``/_local`` routes.

A request to an API route is handled the way API Gateway (HTTP API, payload format 2.0) does it: the
route is matched (most specific first, ``{param}`` and greedy ``{proxy+}`` segments, ``$default``), the
JWT authorizer verifies the bearer token (HS256 with ``LOCAL_JWT_SECRET`` locally; 401 when missing,
badly signed or expired; 403 when the route needs scopes the token lacks), the claims go to
``requestContext.authorizer.jwt.claims`` (as strings, as AWS passes them), and the function's proxy
result (``statusCode``, ``headers``, ``cookies``, ``body``, ``isBase64Encoded``) becomes the response.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt

from infra import token as tokens
from infra.apigw import http_api_event
from infra.discovery import Route
from infra.local_routes import local_route
from infra.openapi import SWAGGER_HTML
from infra.ports import Stack
from infra.replies import PROBLEM_JSON, Reply, json_reply, problem
from infra.workers import FunctionError
from reward_ledger.edge.identity import token_scopes

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


# ---------------------------------------------------------------------- routing
def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s != ""]


def match_route(routes: list[Route], method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway would pick for ``method raw_path`` and its (decoded) path parameters."""
    parts = _segments(raw_path)
    best: tuple[tuple[int, int, int, int], Route, dict[str, str]] | None = None
    for route in routes:
        if route.method not in (method, "ANY") or route.path == "$default":
            continue
        params = _match_path(_segments(route.path), parts)
        if params is None:
            continue
        template = _segments(route.path)
        greedy = 1 if template and template[-1].endswith("+}") else 0
        literals = sum(1 for s in template if not s.startswith("{"))
        score = (1 - greedy, len(template), literals, 1 if route.method == method else 0)
        if best is None or score > best[0]:
            best = (score, route, params)
    if best is not None:
        return best[1], best[2]
    default = next((r for r in routes if r.path == "$default"), None)
    return (default, {}) if default is not None else None


def _match_path(template: list[str], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, segment in enumerate(template):
        if segment.startswith("{") and segment.endswith("+}"):
            rest = parts[index:]
            if not rest:
                return None
            params[segment[1:-2]] = unquote("/".join(rest))
            return params
        if index >= len(parts):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            params[segment[1:-1]] = unquote(parts[index])
        elif unquote(parts[index]) != segment:
            return None
    return params if len(parts) == len(template) else None


def _claim_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


# ---------------------------------------------------------------------- request handling
class Gateway:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, client: str
    ) -> Reply:
        split = urlsplit(target)
        raw_path = split.path or "/"
        if raw_path == "/_local" or raw_path.startswith("/_local/"):
            return local_route(self.stack, method, raw_path, split.query, body)
        if method == "GET" and raw_path in ("/docs", "/docs/"):
            return Reply(200, SWAGGER_HTML.encode(), "text/html; charset=utf-8")
        if method == "GET" and raw_path == "/openapi.json":
            return json_reply(200, self.stack.openapi())
        if method == "GET" and raw_path == "/":
            return Reply(302, b"", None, headers=[("Location", "/docs")])
        found = match_route(self.stack.model.routes, method, raw_path)
        if found is None:
            return self.no_route(method, raw_path)
        route, params = found
        return self.api(route, params, method, raw_path, split.query, headers, body, client)

    def no_route(self, method: str, raw_path: str) -> Reply:
        """404 for an unknown path; 405 with ``Allow`` for a known path asked with another method."""
        methods = sorted({r.method for r in self.stack.model.routes if r.method != "ANY"})
        allowed = [m for m in methods if match_route(self.stack.model.routes, m, raw_path) is not None]
        if not allowed:
            return problem(404, "not-found", "Not found", f"no route for {method} {raw_path}")
        detail = f"{raw_path} answers {', '.join(allowed)}"
        return json_reply(
            405,
            {"type": "method-not-allowed", "title": "Method not allowed", "status": 405, "detail": detail},
            PROBLEM_JSON,
            headers=[("Allow", ", ".join(allowed))],
        )

    def api(
        self,
        route: Route,
        params: dict[str, str],
        method: str,
        raw_path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        client: str,
    ) -> Reply:
        joined: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in headers:
            key = name.lower()
            if key == "cookie":
                cookies.extend(c.strip() for c in value.split(";") if c.strip())
                continue
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        claims: dict[str, Any] | None = None
        if route.authorizer is not None:
            verified = self.authorize(joined.get("authorization"), route)
            if isinstance(verified, Reply):
                return verified
            claims = verified
        pairs = parse_qsl(query, keep_blank_values=True)
        query_params: dict[str, str] = {}
        for name, value in pairs:
            query_params[name] = f"{query_params[name]},{value}" if name in query_params else value
        event = http_api_event(
            method,
            raw_path,
            route_key=route.route_key,
            path_parameters=params or None,
            headers=joined,
            body=body or None,
            claims=claims,
        )
        event["rawQueryString"] = query
        event["queryStringParameters"] = query_params or None
        if cookies:
            event["cookies"] = cookies
        event["requestContext"]["http"]["sourceIp"] = client
        event["requestContext"]["http"]["userAgent"] = joined.get("user-agent", "")
        if event["body"] is None:
            event.pop("body")
        try:
            result = self.stack.invoke(route.function, event)
        except FunctionError as exc:  # the handler raised: HTTP API answers 500
            self.stack.say(f"[api] {route.function} raised {exc}")
            return json_reply(500, {"message": "Internal Server Error"}, function=route.function)
        except Exception as exc:  # the worker crashed, exited or timed out: no valid answer, 502
            self.stack.say(f"[api] {route.function} failed: {type(exc).__name__}: {exc}")
            if self.stack.log is not None:
                traceback.print_exception(exc, file=self.stack.log)
            return json_reply(502, {"message": "Bad Gateway"}, function=route.function)
        reply = proxy_result(result)
        reply.function = route.function
        return reply

    def authorize(self, header: str | None, route: Route) -> dict[str, Any] | Reply:
        def refuse(detail: str) -> Reply:
            reply = problem(401, "unauthorized", "Unauthorized", detail)
            reply.headers = [
                ("WWW-Authenticate", f'Bearer error="invalid_token", error_description="{detail}"')
            ]
            return reply

        if not header:
            return refuse("the Authorization header with a bearer token is required")
        scheme, _, credentials = header.strip().partition(" ")
        raw = credentials.strip() if scheme.lower() == "bearer" else header.strip()
        if not raw:
            return refuse("the bearer token is empty")
        try:
            claims = tokens.verify(raw, key=self.stack.jwt_secret)
        except jwt.ExpiredSignatureError:
            return refuse("the token has expired")
        except jwt.InvalidTokenError as exc:
            return refuse(f"invalid token: {exc}")
        if not isinstance(claims, dict):
            return refuse("the token's claims are not an object")
        # AWS's authorizer reads `scope` and `scp` (not groups), the same way the handlers read them:
        # a claim that is neither a string nor a list of strings grants nothing
        if route.scopes and not token_scopes(claims, groups=False) & set(route.scopes):
            return problem(
                403, "forbidden", "Forbidden", f"the route needs one of the scopes {list(route.scopes)}"
            )
        return {name: _claim_text(value) for name, value in claims.items()}


def proxy_result(result: Any) -> Reply:
    """A Lambda proxy result (payload format 2.0) as an HTTP response."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # format 2.0: a result without statusCode is returned as JSON with 200
        return Reply(200, json.dumps(result, default=str).encode(), "application/json")
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(v)) for v in values)
    headers.extend(("Set-Cookie", str(c)) for c in result.get("cookies") or [])
    raw = result.get("body")
    if raw is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(str(raw))
    else:
        payload = str(raw).encode()
    content_type = None if any(k.lower() == "content-type" for k, _ in headers) else "application/json"
    return Reply(int(result["statusCode"]), payload, content_type, headers=headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "reward-ledger-local"
    gateway: Gateway

    def _serve(self) -> None:
        started = time.perf_counter()
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            reply = problem(
                411, "validation-error", "Length required", "send a Content-Length, not chunked bodies"
            )
            body = b""
        else:
            size = int(length) if length and length.isdigit() else 0
            if size > MAX_BODY:
                reply = problem(
                    413, "validation-error", "Payload too large", f"bodies are limited to {MAX_BODY} bytes"
                )
                body = b""
            else:
                body = self.rfile.read(size) if size else b""
                try:
                    reply = self.gateway.handle(
                        self.command, self.path, list(self.headers.items()), body, self.client_address[0]
                    )
                except Exception:  # a bug in the local stack itself, not in a handler
                    traceback.print_exc(file=sys.stderr)
                    # the traceback goes to the stack's stderr, never to the client
                    reply = problem(
                        500, "internal-error", "Local stack error", "unexpected local stack error"
                    )
        self.send_response(reply.status)
        sent_type = False
        for name, value in reply.headers or []:
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            sent_type = sent_type or name.lower() == "content-type"
            self.send_header(name, value)
        if reply.content_type and not sent_type:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)
        elapsed = (time.perf_counter() - started) * 1000
        via = f" {reply.function}" if reply.function else ""
        self.gateway.stack.say(f"{self.command} {self.path} -> {reply.status}{via} {elapsed:.0f} ms")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, QUERY...) is served too: the gateway answers 404 or 405, not 501."""
        if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # the stack logs each request itself
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(stack: Stack, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("LocalGatewayHandler", (_Handler,), {"gateway": Gateway(stack)})
    return _Server((host, port), handler)
