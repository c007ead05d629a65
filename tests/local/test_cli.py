"""``python -m infra.local`` as a user runs it: one-line start-up errors, a clean stop on SIGINT/SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from infra import token as tokens
from infra.stack import start_stack
from infra.template import ROOT
from tests.local.conftest import FIXTURES, Client


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own module, fixed arguments)
        [sys.executable, "-m", "infra.local", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_template_that_does_not_parse_is_a_one_line_error(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources:\n  Broken: [\n")
    done = run_cli("--template", str(broken), "--port", "0")
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {broken}:")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_port_in_use_is_a_one_line_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("--template", str(FIXTURES / "queue_template.yaml"), "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is already in use (another `make dev`?); "
        "stop it or choose another port with PORT=... / --port"
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_stack_serves_then_stops_cleanly_on_a_signal(signum: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "infra.local",
            "--template",
            str(FIXTURES / "queue_template.yaml"),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LOCAL_JWT_SECRET": "cli-test-secret"},
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/me/balances",
            headers={"Authorization": "Bearer " + tokens.issue("carol", key="cli-test-secret")},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    assert response.status == 200
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert f"local stack on http://127.0.0.1:{port}" in stderr
    assert stderr.rstrip().endswith("stopped")


BROKEN_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration: {{issuer: "https://auth.example.com/", audience: [reward-ledger]}}
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: hello/
      Handler: app.lambda_handler
      Events:
        Hello:
          Type: HttpApi
          Properties: {{ApiId: !Ref HttpApi, Path: "/v1/hello/{{name}}", Method: GET}}
  HalfWrittenFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: half/
      Handler: app.lambda_handler
      Events:
        Thing:
          Type: HttpApi
          Properties: {{ApiId: !Ref HttpApi, Path: /v1/thing, Method: GET}}
"""


HELLO = """
import json


def lambda_handler(event, context):
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    name = event["pathParameters"]["name"]
    return {"statusCode": 200, "body": json.dumps({"hello": name, "sub": claims["sub"]}), "cookies": ["seen=1"]}
"""


@pytest.fixture
def broken_template(tmp_path: Path) -> Path:
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "app.py").write_text("from reward_ledger import not_written_yet\n")
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "app.py").write_text(HELLO)
    template = tmp_path / "template.yaml"
    template.write_text(BROKEN_TEMPLATE.format())
    return template


def test_a_handler_that_does_not_import_stops_the_start_naming_the_function(broken_template: Path) -> None:
    done = run_cli("--template", str(broken_template), "--port", "0")
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: HalfWrittenFunction: importing ")
    assert "ImportError" in line
    assert "--skip-broken" in line


def test_skip_broken_serves_the_other_functions(broken_template: Path) -> None:
    stack = start_stack(port=0, template=broken_template, skip_broken=True, seed=False)
    try:
        client = Client(stack.url)
        hello = client.call("GET", "/v1/hello/world", user="dave")
        assert (hello.status, hello.body) == (200, {"hello": "world", "sub": "dave"})
        assert hello.headers["content-type"] == "application/json"
        assert hello.headers["set-cookie"] == "seen=1"
        assert client.call("GET", "/v1/thing", user="dave").status == 500
        assert "HalfWrittenFunction" in client.call("GET", "/_local").body["broken_functions"]
    finally:
        stack.stop()
