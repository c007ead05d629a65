"""What the local stack serves, read from the template at start-up (never a hard-coded list).

Everything comes from the CloudFormation that aws-sam-translator makes of ``template.yaml``, so SAM's own
rules apply (globals merged into functions, default authorizers, generated rules, schedules and event
source mappings) and hand-written CloudFormation resources are seen the same way:

* functions: ``AWS::Lambda::Function`` (handler, environment, timeout, dead-letter queue) plus the SAM
  ``CodeUri`` the code lives in;
* routes: the paths of every ``AWS::ApiGatewayV2::Api`` body, with the function of each integration and
  the JWT authorizer (and scopes) the route requires;
* EventBridge rules (``AWS::Events::Rule`` with an ``EventPattern``) and their function or queue targets;
* schedules: rules with a ``ScheduleExpression`` and ``AWS::Scheduler::Schedule`` resources;
* queues (``AWS::SQS::Queue``, with their redrive policy) and SQS event source mappings.

Intrinsics in environment variables and properties (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``,
``Fn::Select``) resolve to the local names of tables, queues and functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from infra.iam import role_actions
from infra.template import LOCAL_REGION, ROOT, TEMPLATE, cloudformation, sam_template, table_definitions_in

ACCOUNT_ID = "123456789012"  # moto's default account: queue URLs and ARNs use it
STACK_NAME = "reward-ledger-local"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_INTEGRATION_FUNCTION = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")
_SSM_PARAMETER_ARN = re.compile(r"^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(/[^*]+)$")


class TemplateError(Exception):
    """The template cannot be served locally (a one-line reason)."""


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int = 3
    memory: int = 128
    reserved_concurrency: int | None = None
    dead_letter_arn: str | None = None
    on_failure_arn: str | None = None
    max_retry_attempts: int = 2  # asynchronous invocations (EventBridge targets): AWS default
    allowed_actions: frozenset[str] = frozenset()  # what its role allows (infra/iam.py enforces it)

    @property
    def module_path(self) -> Path:
        module, _ = self.handler.rsplit(".", 1)
        return self.code_dir / f"{module.replace('.', '/')}.py"

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # template path, e.g. /v1/stories/{story_id}; "$default" for the catch-all
    function: str
    authorizer: str | None = None  # name of the JWT authorizer, None when the route is open
    scopes: tuple[str, ...] = ()

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class Target:
    """A rule or schedule target: a function (invoked) or a queue (sent the event)."""

    kind: str  # "function" | "queue"
    name: str  # function logical id or queue logical id
    input: str | None = None  # constant input replacing the event, when the target sets one
    dead_letter_arn: str | None = None


@dataclass(frozen=True)
class Rule:
    logical_id: str
    pattern: dict[str, Any]
    targets: tuple[Target, ...]
    enabled: bool = True
    bus: str = "default"  # the bus's local name (a template bus's logical id)


@dataclass(frozen=True)
class Schedule:
    logical_id: str
    kind: str  # "Schedule" (EventBridge rule) or "ScheduleV2" (EventBridge Scheduler)
    expression: str
    target: Target
    description: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class Queue:
    logical_id: str
    name: str
    attributes: dict[str, str]
    dead_letter: str | None = None  # logical id of the DLQ
    max_receive_count: int | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{LOCAL_REGION}:{ACCOUNT_ID}:{self.name}"

    @property
    def url(self) -> str:
        return f"https://sqs.{LOCAL_REGION}.amazonaws.com/{ACCOUNT_ID}/{self.name}"


@dataclass(frozen=True)
class QueueSource:
    """An SQS event source mapping: the queue feeds the function in batches."""

    logical_id: str
    queue: str
    function: str
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass
class StackModel:
    template: Path
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> table name
    table_args: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> CreateTable args
    queues: dict[str, Queue] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    queue_sources: list[QueueSource] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    ssm_parameters: set[str] = field(default_factory=set)  # names functions are allowed to read

    def schedules_of(self, function: str) -> list[Schedule]:
        return [s for s in self.schedules if s.target.kind == "function" and s.target.name == function]

    def queue_by_arn(self, arn: str) -> Queue | None:
        return next((q for q in self.queues.values() if q.arn == arn), None)


class Resolver:
    """Resolves CloudFormation intrinsics to local names."""

    def __init__(self, resources: dict[str, Any], parameters: dict[str, str], model: StackModel) -> None:
        self.resources = resources
        self.parameters = parameters
        self.model = model

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": LOCAL_REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:aws:cloudformation:{LOCAL_REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": "",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.model.tables:
            return self.model.tables[name]
        if name in self.model.queues:
            return self.model.queues[name].url
        return name  # functions, rules, buses...: their logical id is their local name

    def get_att(self, name: str, attribute: str) -> str:
        if name in self.model.queues:
            queue = self.model.queues[name]
            return {"Arn": queue.arn, "QueueName": queue.name, "QueueUrl": queue.url}.get(
                attribute, queue.arn
            )
        if name in self.model.tables:
            table = self.model.tables[name]
            arn = f"arn:aws:dynamodb:{LOCAL_REGION}:{ACCOUNT_ID}:table/{table}"
            return f"{arn}/stream/local" if attribute == "StreamArn" else arn
        kind = str(self.resources.get(name, {}).get("Type", ""))
        service = {"AWS::Lambda::Function": "lambda", "AWS::Events::Rule": "events"}.get(kind, "local")
        resource = {"lambda": "function:", "events": "rule/"}.get(service, "")
        return f"arn:aws:{service}:{LOCAL_REGION}:{ACCOUNT_ID}:{resource}{name}"

    def value(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Fn::GetAtt":
                parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self.get_att(str(parts[0]), str(parts[1]))
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::Join":
                separator, items = arg
                return str(separator).join(str(self.value(i)) for i in self.value(items))
            if key == "Fn::Select":
                index, items = arg
                return self.value(items)[int(self.value(index))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.value(text)).split(str(separator))
        if isinstance(node, dict):
            return {k: self.value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v) for v in node]
        return node

    def sub(self, arg: Any) -> str:
        text, variables = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.value(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                resource, attribute = name.split(".", 1)
                return self.get_att(resource, attribute)
            return self.ref(name)

        return _SUB_VAR.sub(replace, str(text))

    def string(self, node: Any) -> str:
        value = self.value(node)
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


def load(template: Path = TEMPLATE) -> StackModel:
    """Read ``template`` into a :class:`StackModel`; :class:`TemplateError` with a one-line reason."""
    try:
        cfn, code_uris = translated(template)
    except FileNotFoundError as exc:
        raise TemplateError(f"{template}: no such file") from exc
    except Exception as exc:
        raise TemplateError(f"{template}: {_one_line(exc)}") from exc
    try:
        return _build(template, cfn, code_uris)
    except TemplateError:
        raise
    except Exception as exc:
        raise TemplateError(f"{template}: cannot read it for the local stack: {_one_line(exc)}") from exc


CACHE_DIR = ROOT / ".aws-sam" / "local"


def translated(template: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``cloudformation(template)`` and each function's SAM ``CodeUri``, cached on disk by the template's
    content and the translator version.

    Translating takes seconds (importing the translator and the YAML loader is most of it); a restart with
    an unchanged template reads the cached JSON instead. The cache lives in the ignored ``.aws-sam/``.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        translator = version("aws-sam-translator")
    except PackageNotFoundError:
        translator = "unknown"
    translation_code = (ROOT / "infra" / "template.py").read_bytes()  # how placeholders are made
    digest = hashlib.sha256(
        template.read_bytes() + translation_code + f"|{translator}|1".encode()
    ).hexdigest()[:32]
    cached = CACHE_DIR / f"cfn-{digest}.json"
    try:
        loaded = json.loads(cached.read_text())
        return dict(loaded["cfn"]), dict(loaded["code_uris"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    sam = sam_template(template)
    cfn = cloudformation(template)
    code_global = ((sam.get("Globals") or {}).get("Function") or {}).get("CodeUri")
    code_uris = {
        lid: (res.get("Properties") or {}).get("CodeUri", code_global)
        for lid, res in (sam.get("Resources") or {}).items()
        if res.get("Type") == "AWS::Serverless::Function"
    }
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"cfn": cfn, "code_uris": code_uris}))
        os.replace(partial, cached)
        for stale in sorted(CACHE_DIR.glob("cfn-*.json"), key=lambda p: p.stat().st_mtime)[:-20]:
            stale.unlink(missing_ok=True)  # the template changes often: keep the 20 newest
    except OSError:
        pass  # a read-only tree only costs the translation next time
    return cfn, code_uris


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."


def _build(template: Path, cfn: dict[str, Any], code_uris: dict[str, Any]) -> StackModel:
    resources: dict[str, Any] = cfn.get("Resources", {})
    model = StackModel(template=template)
    model.parameters = {
        name: _parameter_default(spec) for name, spec in (cfn.get("Parameters") or {}).items()
    }
    resolver = Resolver(resources, model.parameters, model)
    model.table_args = table_definitions_in(cfn)
    model.tables = {lid: str(args["TableName"]) for lid, args in model.table_args.items()}
    for lid, res in resources.items():
        if res.get("Type") == "AWS::SQS::Queue":
            model.queues[lid] = _queue(lid, res.get("Properties") or {}, resolver)
    model.queues = {lid: _with_dead_letter(q, model) for lid, q in model.queues.items()}
    for lid, res in resources.items():
        if res.get("Type") == "AWS::Lambda::Function":
            code_uri = code_uris.get(lid)
            if not isinstance(code_uri, str) or code_uri.startswith("s3://"):
                raise TemplateError(f"{lid}: the local stack needs a local CodeUri (got {code_uri!r})")
            model.functions[lid] = replace(
                _function(lid, res.get("Properties") or {}, template.parent / code_uri, resolver),
                allowed_actions=role_actions(cfn, lid),
            )
    _event_invoke_configs(resources, model, resolver)
    for lid, res in resources.items():
        kind = res.get("Type")
        props = res.get("Properties") or {}
        if kind == "AWS::ApiGatewayV2::Api" and isinstance(props.get("Body"), dict):
            model.routes.extend(_routes(props["Body"]))
        elif kind == "AWS::Events::Rule":
            _rule(lid, props, model, resolver)
        elif kind == "AWS::Scheduler::Schedule":
            target = _target(props.get("Target") or {}, model, resolver)
            if target is not None:
                model.schedules.append(
                    Schedule(
                        logical_id=lid,
                        kind="ScheduleV2",
                        expression=str(resolver.value(props.get("ScheduleExpression", ""))),
                        target=target,
                        description=str(props.get("Description", "")),
                        enabled=str(props.get("State", "ENABLED")) == "ENABLED",
                    )
                )
        elif kind == "AWS::Lambda::EventSourceMapping":
            source = _queue_source(lid, props, model, resolver)
            if source is not None:
                model.queue_sources.append(source)
    model.ssm_parameters = _ssm_parameters(resources, model, resolver)
    model.routes.sort(key=_route_order)
    return model


def _ssm_parameters(resources: dict[str, Any], model: StackModel, resolver: Resolver) -> set[str]:
    """SSM parameters the functions read: named in their roles' policies, or in ``*_PARAMETER`` variables."""
    names: set[str] = set()
    for res in resources.values():
        if res.get("Type") != "AWS::IAM::Role":
            continue
        for policy in (res.get("Properties") or {}).get("Policies") or []:
            statements = (policy.get("PolicyDocument") or {}).get("Statement") or []
            for statement in statements if isinstance(statements, list) else [statements]:
                targets = statement.get("Resource") or []
                for target in targets if isinstance(targets, list) else [targets]:
                    found = _SSM_PARAMETER_ARN.match(str(resolver.value(target)))
                    if found:
                        names.add(found.group(1))
    for function in model.functions.values():
        for key, value in function.environment.items():
            if key.endswith("_PARAMETER") and value.startswith("/") and "*" not in value:
                names.add(value)
    return names


def _parameter_default(spec: dict[str, Any]) -> str:
    default = spec.get("Default", "")
    if isinstance(default, list):
        return ",".join(str(d) for d in default)
    return str(default)


def _queue(lid: str, props: dict[str, Any], resolver: Resolver) -> Queue:
    fifo = bool(props.get("FifoQueue"))
    name = props.get("QueueName")
    name = str(resolver.value(name)) if name is not None else lid + (".fifo" if fifo else "")
    attributes: dict[str, str] = {}
    for prop, attribute in (
        ("DelaySeconds", "DelaySeconds"),
        ("MaximumMessageSize", "MaximumMessageSize"),
        ("MessageRetentionPeriod", "MessageRetentionPeriod"),
        ("VisibilityTimeout", "VisibilityTimeout"),
        ("ReceiveMessageWaitTimeSeconds", "ReceiveMessageWaitTimeSeconds"),
        ("FifoQueue", "FifoQueue"),
        ("ContentBasedDeduplication", "ContentBasedDeduplication"),
    ):
        if prop in props:
            attributes[attribute] = resolver.string(props[prop])
    dead_letter, max_receive = None, None
    redrive = props.get("RedrivePolicy")
    if isinstance(redrive, str):
        redrive = json.loads(redrive)
    if isinstance(redrive, dict):
        target = redrive.get("deadLetterTargetArn")
        # keep the DLQ as an intrinsic for now: queues may be declared in any order
        dead_letter = json.dumps(target)
        max_receive = int(resolver.value(redrive.get("maxReceiveCount", 10)))
    return Queue(lid, name, attributes, dead_letter, max_receive)


def _with_dead_letter(queue: Queue, model: StackModel) -> Queue:
    if queue.dead_letter is None:
        return queue
    target = json.loads(queue.dead_letter)
    resolver = Resolver({}, model.parameters, model)
    arn = str(resolver.value(target))
    dlq = model.queue_by_arn(arn)
    if dlq is None:
        raise TemplateError(f"{queue.logical_id}: RedrivePolicy names a queue not in the template ({arn})")
    return replace(queue, dead_letter=dlq.logical_id)


def _function(lid: str, props: dict[str, Any], code_dir: Path, resolver: Resolver) -> Function:
    handler = props.get("Handler")
    if not isinstance(handler, str) or "." not in handler:
        raise TemplateError(f"{lid}: Handler must be 'module.function' (got {handler!r})")
    variables = (props.get("Environment") or {}).get("Variables") or {}
    environment = {str(k): resolver.string(v) for k, v in variables.items()}
    dead_letter = (props.get("DeadLetterConfig") or {}).get("TargetArn")
    reserved = props.get("ReservedConcurrentExecutions")
    return Function(
        logical_id=lid,
        code_dir=code_dir,
        handler=handler,
        environment=environment,
        timeout=int(resolver.value(props.get("Timeout", 3))),
        memory=int(resolver.value(props.get("MemorySize", 128))),
        reserved_concurrency=int(resolver.value(reserved)) if reserved is not None else None,
        dead_letter_arn=str(resolver.value(dead_letter)) if dead_letter is not None else None,
    )


def _event_invoke_configs(resources: dict[str, Any], model: StackModel, resolver: Resolver) -> None:
    for res in resources.values():
        if res.get("Type") != "AWS::Lambda::EventInvokeConfig":
            continue
        props = res.get("Properties") or {}
        name = _function_name(props.get("FunctionName"), model, resolver)
        if name is None:
            continue
        function = model.functions[name]
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        attempts = props.get("MaximumRetryAttempts", function.max_retry_attempts)
        model.functions[name] = replace(
            function,
            max_retry_attempts=int(resolver.value(attempts)),
            on_failure_arn=str(resolver.value(on_failure)) if on_failure is not None else None,
        )


def _function_name(node: Any, model: StackModel, resolver: Resolver) -> str | None:
    if isinstance(node, dict) and "Ref" in node and node["Ref"] in model.functions:
        return str(node["Ref"])
    text = str(resolver.value(node))
    name = text.rsplit(":", 1)[-1] if text.startswith("arn:") else text
    return name if name in model.functions else None


def _routes(body: dict[str, Any]) -> list[Route]:
    schemes = ((body.get("components") or {}).get("securitySchemes")) or {}
    jwt_schemes = {
        name
        for name, scheme in schemes.items()
        if str((scheme.get("x-amazon-apigateway-authorizer") or {}).get("type", "")).lower() == "jwt"
    }
    default_security = body.get("security")
    routes: list[Route] = []
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in (operations or {}).items():
            if method == "x-amazon-apigateway-any-method":
                verb = "ANY"
            elif method in HTTP_METHODS:
                verb = method.upper()
            else:
                continue
            uri = (operation.get("x-amazon-apigateway-integration") or {}).get("uri")
            uri_text = json.dumps(uri)
            found = _INTEGRATION_FUNCTION.search(uri_text)
            if found is None:
                continue
            security = operation.get("security", default_security) or []
            authorizer, scopes = None, ()
            for requirement in security:
                for name, required_scopes in requirement.items():
                    if name in jwt_schemes:
                        authorizer, scopes = name, tuple(required_scopes or ())
            routes.append(Route(verb, path, found.group(1), authorizer, scopes))
    return routes


def _route_order(route: Route) -> tuple[int, int, int, str]:
    """Most specific first: API Gateway prefers literal segments, then parameters, then greedy ones."""
    if route.path == "$default":
        return (3, 0, 0, "")
    segments = route.path.strip("/").split("/")
    greedy = 1 if segments and segments[-1].endswith("+}") else 0
    params = sum(1 for s in segments if s.startswith("{"))
    return (
        greedy,
        -len(segments),
        params,
        route.path + (" ~" if route.method == "ANY" else " " + route.method),
    )


def _target(node: dict[str, Any], model: StackModel, resolver: Resolver) -> Target | None:
    arn = str(resolver.value(node.get("Arn", "")))
    raw_input = node.get("Input")
    payload = None if raw_input is None else resolver.string(raw_input)
    dead_letter = (node.get("DeadLetterConfig") or {}).get("Arn")
    dlq = str(resolver.value(dead_letter)) if dead_letter is not None else None
    if ":lambda:" in arn or ":function:" in arn:
        name = arn.rsplit(":", 1)[-1]
        if name in model.functions:
            return Target("function", name, payload, dlq)
    queue = model.queue_by_arn(arn)
    if queue is not None:
        return Target("queue", queue.logical_id, payload, dlq)
    return None


def _rule(lid: str, props: dict[str, Any], model: StackModel, resolver: Resolver) -> None:
    targets = tuple(
        t for t in (_target(node, model, resolver) for node in props.get("Targets") or []) if t is not None
    )
    enabled = str(props.get("State", "ENABLED")) == "ENABLED"
    if "ScheduleExpression" in props:
        for target in targets:
            model.schedules.append(
                Schedule(
                    logical_id=lid,
                    kind="Schedule",
                    expression=str(resolver.value(props["ScheduleExpression"])),
                    target=target,
                    description=str(props.get("Description", "")),
                    enabled=enabled,
                )
            )
    pattern = props.get("EventPattern")
    if isinstance(pattern, str):
        pattern = json.loads(pattern)
    if isinstance(pattern, dict) and targets:
        bus = str(resolver.value(props.get("EventBusName") or "default"))
        model.rules.append(Rule(lid, resolver.value(pattern), targets, enabled, bus))


def _queue_source(
    lid: str, props: dict[str, Any], model: StackModel, resolver: Resolver
) -> QueueSource | None:
    queue = model.queue_by_arn(str(resolver.value(props.get("EventSourceArn", ""))))
    function = _function_name(props.get("FunctionName"), model, resolver)
    if queue is None or function is None:
        return None
    return QueueSource(
        logical_id=lid,
        queue=queue.logical_id,
        function=function,
        batch_size=int(resolver.value(props.get("BatchSize", 10))),
        report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        enabled=bool(resolver.value(props.get("Enabled", True))),
    )
