"""What a function's process sees: the template's variables and what Lambda itself sets, nothing else.

The local stack's own process environment (the developer's shell, pytest's variables) never reaches a
function. Local-only additions, each documented in ``docs/local-stack.md``: ``AWS_ENDPOINT_URL`` (the
embedded AWS), ``AWS_SAM_LOCAL`` (as ``sam local`` sets it: Powertools then sends no traces),
``LOCAL_CLOCK_FILE`` (the movable clock, read by ``reward_ledger.clock``) and
``POWERTOOLS_METRICS_DISABLED`` (no CloudWatch locally; the shell may override it).
"""

from __future__ import annotations

import os

from infra.discovery import Function

LAMBDA_RUNTIME = "python3.12"
# Defaults a developer may override from the shell (e.g. POWERTOOLS_METRICS_DISABLED=false make dev).
DEFAULT_ENVIRONMENT = {"POWERTOOLS_METRICS_DISABLED": "true"}
SECRET_KEY = "local"  # nothing leaves the embedded AWS; the access key id names the function


def access_key(logical_id: str) -> str:
    """The access key id a function's worker signs with: the embedded AWS maps it back to the function
    (and so to its role), as AWS maps a role session's credentials."""
    return f"LOCAL{logical_id}"


def worker_environment(function: Function, *, region: str, endpoint: str, clock_file: str) -> dict[str, str]:
    lambda_sets = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(function.code_dir),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{LAMBDA_RUNTIME}",
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.logical_id}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": access_key(function.logical_id),
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": SECRET_KEY,
    }
    local_only = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_SAM_LOCAL": "true",
        "LOCAL_CLOCK_FILE": clock_file,
        **{key: os.environ.get(key, value) for key, value in DEFAULT_ENVIRONMENT.items()},
    }
    return {**lambda_sets, **local_only, **function.environment}
