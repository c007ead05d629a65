"""IaC policy check run by ``make test``: the scan catches what a new resource forgets.

checkov (``make checkov``) proves the template as it is has no failed check. This check proves that the
scan would fail a *new* function or queue that lacks what docs/operations.md asks of it: it adds a bare
canary function and queue to a copy of the template and expects checkov to fail them on reserved
concurrency and queue encryption. It also refuses the template if any resource skips one of the checks
that must be fixed, never skipped (:data:`MUST_FIX`), if a function's reserved concurrency comes from
``Globals`` (a new function would inherit a share nobody sized), or if the reserved total leaves less
than AWS's unreserved minimum of the account quota the template is sized for.

Usage: ``python -m infra.iac_check path/to/checkov``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from infra.template import TEMPLATE, sam_template

# Checks a resource must pass by its own properties, never by a skip.
MUST_FIX = {
    "CKV_AWS_27": "SQS queue encryption (KmsMasterKeyId)",
    "CKV_AWS_115": "function reserved concurrency",
    "CKV_AWS_119": "DynamoDB table customer-managed key",
    "CKV_AWS_95": "HttpApi access logs",
    "CKV_AWS_28": "DynamoDB point-in-time recovery",
    "CKV_AWS_158": "log group KMS encryption",
    "CKV_AWS_338": "log group retention of at least a year",
}
#: the regional concurrency quota the production account is raised to before the first deploy (the
#: default is 1,000; the request is an operations step, docs/operations.md)
ACCOUNT_CONCURRENCY = 1_500
UNRESERVED_MINIMUM = 100  # AWS keeps at least this much unreserved
CANARY_FUNCTION = "IacCanaryFunction"
CANARY_QUEUE = "IacCanaryQueue"
EXPECTED_CANARY_FAILURES = {CANARY_FUNCTION: {"CKV_AWS_115"}, CANARY_QUEUE: {"CKV_AWS_27"}}


def policy_problems(template: dict[str, Any]) -> list[str]:
    """What the template does that the policy forbids, one sentence each."""
    problems = []
    if "ReservedConcurrentExecutions" in (template.get("Globals") or {}).get("Function", {}):
        problems.append("ReservedConcurrentExecutions is in Globals: size it per function")
    reserved = 0
    for lid, resource in template["Resources"].items():
        skips = ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
        for skip in skips:
            if skip.get("id") in MUST_FIX:
                problems.append(f"{lid} skips {skip['id']} ({MUST_FIX[skip['id']]}): fix it instead")
            if not str(skip.get("comment", "")).strip():
                problems.append(f"{lid} skips {skip.get('id')} without a reason")
        if resource.get("Type") == "AWS::Serverless::Function":
            reserved += int(resource.get("Properties", {}).get("ReservedConcurrentExecutions", 0))
    if reserved > ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM:
        problems.append(
            f"functions reserve {reserved} of a {ACCOUNT_CONCURRENCY} quota; at most "
            f"{ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM} may be reserved (raise the quota and the model first)"
        )
    return problems


def with_canaries(template: dict[str, Any]) -> dict[str, Any]:
    """The template plus a function and a queue written as a hurried newcomer would."""
    canary: dict[str, Any] = json.loads(json.dumps(template))
    canary["Resources"][CANARY_FUNCTION] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"CodeUri": "functions/accounts/", "Handler": "app.lambda_handler"},
    }
    canary["Resources"][CANARY_QUEUE] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    return canary


def failed_checks(checkov: str, template: dict[str, Any]) -> dict[str, set[str]]:
    """Resource logical id -> ids of the checkov checks it fails."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.json"
        path.write_text(json.dumps(template))
        done = subprocess.run(  # noqa: S603 (the checkov of our own venv, a file we just wrote)
            [
                checkov,
                "-f",
                str(path),
                "--framework",
                "cloudformation",
                "-o",
                "json",
                "--quiet",
                "--skip-download",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    report = json.loads(done.stdout)
    failed: dict[str, set[str]] = {}
    for check in report["results"]["failed_checks"]:
        failed.setdefault(check["resource"].rsplit(".", 1)[-1], set()).add(check["check_id"])
    return failed


def main(checkov: str) -> int:
    template = sam_template(TEMPLATE)
    problems = policy_problems(template)
    failed = failed_checks(checkov, with_canaries(template))
    for lid, expected in EXPECTED_CANARY_FAILURES.items():
        missing = expected - failed.get(lid, set())
        if missing:
            problems.append(f"checkov no longer fails a bare {lid} on {sorted(missing)}")
    others = {lid: ids for lid, ids in failed.items() if lid not in EXPECTED_CANARY_FAILURES}
    if others:
        problems.append(f"template resources fail checkov: {others}")
    for problem in problems:
        print(f"iac-check: {problem}", file=sys.stderr)
    if not problems:
        print("iac-check: canaries fail as they should; no forbidden skip; reserved concurrency fits")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
