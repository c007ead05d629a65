"""One registry of problem slugs: every slug the code can answer is in ``errors.py`` and in the spec.

The source is read, not imported: a ``LedgerError`` subclass declared in any module (a feature's own
error), or a literal slug handed to ``problem(...)``, is found whatever a process imported. Each must be
declared in ``reward_ledger.errors`` (the registry ``problem_slugs()`` reads) and listed in the
committed spec's ``Problem.type`` enum, so a client generated from ``openapi.json`` knows every slug.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from infra import spec
from infra.template import ROOT
from reward_ledger import errors
from reward_ledger.edge.openapi import problem_slugs

SOURCES = ("layers/reward_ledger/reward_ledger", "functions", "infra")
# the /_local routes: they exist only on the local stack, never in the production spec
LOCAL_ONLY = {"infra/local_routes.py"}
REGISTRY = Path(errors.__file__).resolve()


def _python_files() -> Iterator[Path]:
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if str(path.relative_to(ROOT)) not in LOCAL_ONLY:
                yield path


def _class_slugs(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """``(class name, slug)`` of each class body assigning a literal ``slug``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            target = statement.target if isinstance(statement, ast.AnnAssign) else None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
            value = getattr(statement, "value", None)
            if isinstance(target, ast.Name) and target.id == "slug" and isinstance(value, ast.Constant):
                yield node.name, str(value.value)


def _problem_call_slugs(tree: ast.Module) -> Iterator[str]:
    """The literal slug of each ``problem(status, "slug", ...)`` call."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        slug = node.args[1]
        if name == "problem" and isinstance(slug, ast.Constant) and isinstance(slug.value, str):
            yield slug.value


def raised_slugs() -> dict[str, set[str]]:
    """slug -> the files (relative) that declare or answer it."""
    found: dict[str, set[str]] = {}
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        slugs = {slug for _, slug in _class_slugs(tree)} | set(_problem_call_slugs(tree))
        for slug in slugs:
            found.setdefault(slug, set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_slugs_it_must() -> None:
    found = raised_slugs()
    assert {"insufficient-funds", "validation-error", "not-found", "min-spend-not-met"} <= set(found)
    assert "layers/reward_ledger/reward_ledger/edge/http.py" in found["validation-error"]


def test_every_error_class_with_a_slug_is_declared_in_the_registry() -> None:
    strays = []
    for path in _python_files():
        if path.resolve() == REGISTRY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        strays += [f"{path.relative_to(ROOT)}: {name} ({slug})" for name, slug in _class_slugs(tree)]
    assert not strays, "declare these error classes in reward_ledger/errors.py: " + ", ".join(strays)


def test_every_slug_raised_in_code_is_in_the_spec_enum() -> None:
    enum = set(spec.committed()["components"]["schemas"]["Problem"]["properties"]["type"]["enum"])
    missing = {slug: sorted(files) for slug, files in raised_slugs().items() if slug not in enum}
    assert not missing, f"slugs answered by the code but absent from openapi.json: {missing}"
    assert enum == set(problem_slugs()), "the spec's enum is the registry's (run `make openapi`)"
