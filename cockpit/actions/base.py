"""The action-kind protocol and its registry.

An action kind is a small class that knows three things about one kind of
release step: how to explain it (markdown, with the exact manual equivalent),
how to check the world read-only, and how to apply the change. The engine only
ever calls ``apply`` after a fresh ``check`` said "incomplete", which is what
makes every rerun safe.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from cockpit.actions.catalog import module_of
from cockpit.model import CheckResult

if TYPE_CHECKING:
    from cockpit.context import ActionContext


class Declined(Exception):
    """The driver said no to going on (a warning not acknowledged): the engine stops the
    stage as cancelled, not failed. Nothing was changed; a rerun asks again."""


class Params(BaseModel):
    """Base for every kind's parameters: unknown fields are typos, and are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionKind(ABC):
    """One kind of release step. Subclasses set ``kind``, ``summary`` and ``Params``."""

    kind: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[Params]] = Params
    dangerous: ClassVar[bool] = False
    """Hard to reverse (a pushed tag): the engine asks for a typed confirmation first."""

    def __init__(self, params: Any, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx

    @abstractmethod
    def explain(self) -> str:
        """Markdown: what this does, why it matters, and the exact manual commands."""

    @abstractmethod
    async def check(self) -> CheckResult:
        """Look at the world (never change it) and say how far this step is."""

    @abstractmethod
    async def apply(self) -> None:
        """Make the change. Called only after ``check`` returned incomplete."""

    async def confirmation(self) -> tuple[str, str]:
        """For dangerous kinds: (the exact thing being confirmed, the text to type)."""
        return (self.summary, self.ctx.action_id)


@dataclass(frozen=True)
class KindInfo:
    """What the registry knows of a kind name, implemented or only declared."""

    name: str
    summary: str
    implementation: type[ActionKind] | None = None
    params_model: type[Params] | None = None

    @property
    def implemented(self) -> bool:
        return self.implementation is not None


@dataclass
class Registry:
    """Kinds by name. Declared-only kinds are listed honestly as unimplemented."""

    kinds: dict[str, KindInfo] = field(default_factory=dict)

    def register(self, cls: type[ActionKind]) -> type[ActionKind]:
        self.kinds[cls.kind] = KindInfo(cls.kind, cls.summary, cls, cls.Params)
        return cls

    def declare(self, name: str, summary: str) -> None:
        if name not in self.kinds:
            self.kinds[name] = KindInfo(name, summary)

    def get(self, name: str) -> KindInfo | None:
        """The kind's info; a built-in kind's module is imported the first time it is asked for."""
        info = self.kinds.get(name)
        module = module_of(name)
        if (info is None or not info.implemented) and module is not None:
            importlib.import_module(module)  # a built-in kind registers on import
            info = self.kinds.get(name)
        return info

    def is_implemented(self, name: str) -> bool:
        """Whether a kind has an implementation, without importing it."""
        info = self.kinds.get(name)
        return module_of(name) is not None or (info is not None and info.implemented)


REGISTRY = Registry()


def register(cls: type[ActionKind]) -> type[ActionKind]:
    """Class decorator: make a kind available to playbooks by its ``kind`` name."""
    return REGISTRY.register(cls)


def code_block(*commands: str, lang: str = "sh") -> str:
    """Render manual commands as a fenced block for explanations."""
    return f"```{lang}\n" + "\n".join(commands) + "\n```"


LogFn = Callable[[str, str | None], None]
