"""Declarations by reference: ``"package.module:attribute"`` strings, imported when first used.

The product's wiring names every feature's models, expirers and hooks. Importing them all to declare
them would make every Lambda function import every feature at its cold start (a games handler paying for
merchants, reminders and the farm). A reference is as explicit as an import, resolved on first use and
kept: a function imports what it really calls, and the same declaration resolves the same object in
every process (nothing depends on what else a process imported).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def resolve(ref: str) -> Any:
    """The object ``ref`` (``"package.module:attribute"``) names."""
    module, _, attribute = ref.partition(":")
    assert module and attribute, f"{ref!r} is not a 'module:attribute' reference"
    return getattr(importlib.import_module(module), attribute)


class Refs(Mapping[str, T], Generic[T]):
    """A read-only mapping whose values are references, each resolved on its first lookup.

    Its keys are known without importing anything (``sorted(refs)`` lists them); ``refs[key]`` imports
    that one value's module.
    """

    def __init__(self, refs: Mapping[str, str]) -> None:
        self.refs = dict(refs)
        self._resolved: dict[str, T] = {}

    def __getitem__(self, key: str) -> T:
        if key not in self._resolved:
            self._resolved[key] = resolve(self.refs[key])
        return self._resolved[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.refs)

    def __len__(self) -> int:
        return len(self.refs)

    def __repr__(self) -> str:
        return f"Refs({self.refs!r})"
