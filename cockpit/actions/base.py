"""The action-kind protocol, its three shapes, and the kind registry.

An action kind is a small class that knows three things about one kind of
release step: how to explain it (markdown, with the exact manual equivalent),
how to check the world read-only, and how to apply the change. The engine only
ever calls ``apply`` after a fresh ``check`` said "incomplete", which is what
makes every rerun safe.

A kind is one of three shapes, each a base class generic over its params model
(``class FileContains(Verify[FileContainsParams])``: the model is named once, and
both ``Params`` and the type of ``self.params`` come from it):

- ``Step``: check, then apply the change (get-or-create, edit, merge, post...).
- ``Verify``: check only. There is nothing to apply; when the check does not pass,
  ``fix()`` says what a person must do, and that is what the failed result shows.
- ``Wait``: a verify whose check says "in progress" while something outside runs
  (a workflow, CI, a review): the engine polls it with backoff until it is done,
  fails, or ``polling().deadline`` passes, and its reason is the progress shown
  (``ci_progress`` below: "usually 14 min, p90 20 min; 6 min in").
"""

from __future__ import annotations

import importlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, get_args, get_origin

from pydantic import BaseModel, ConfigDict, JsonValue
from typing_extensions import TypeVar

from cockpit.actions.catalog import module_of
from cockpit.errors import CannotFix
from cockpit.model import CheckResult, Reversibility

if TYPE_CHECKING:
    from cockpit.context import ActionContext
    from cockpit.services.github import WorkflowRun
    from cockpit.services.reads import Read


REGEX: dict[str, JsonValue] = {"format": "regex"}
"""``Field(json_schema_extra=REGEX)`` marks a parameter read as a Python regular expression:
the playbook compiles it at load time (``cockpit.playbook``), naming the field if it is bad."""


class Params(BaseModel):
    """Base for every kind's parameters: unknown fields are typos, and are rejected. A
    field's docstring is its description (``cockpit kinds KIND``, ``cockpit schema``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# Kinds' params inherit this; Params itself, built before the TUI's first paint, has no
# field to describe, and pydantic's docstring lookup walks the frames and ``realpath``s every
# loaded module (~15 ms on Python < 3.13): it runs when the kinds load, after the paint.
Params.model_config["use_attribute_docstrings"] = True


P = TypeVar("P", bound=Params, covariant=True, default=Params)
"""A kind's params model (covariant: a ``Verify[TagParams]`` is an ``ActionKind[Params]``)."""


@dataclass(frozen=True)
class Polling:
    """How the engine polls a check that says "in progress": the first delay, doubled up
    to ``longest``, until ``deadline`` seconds after the first "in progress"."""

    first: float
    longest: float
    deadline: float

    def after(self, delay: float) -> float:
        """The delay after one of ``delay`` seconds."""
        return min(delay * 2, self.longest)


class ActionKind(ABC, Generic[P]):
    """One kind of release step: subclass ``Step``, ``Verify`` or ``Wait`` over its params
    model, and set ``kind`` and ``summary``."""

    kind: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[Params]] = Params
    """The params model: the generic argument (``Step[TagParams]``) sets it."""
    reversibility: ClassVar[Reversibility] = Reversibility.REVERSIBLE
    """How far back its change can be taken (``cockpit.model.Reversibility``); a playbook
    action may say otherwise. Irreversible: the engine asks for a typed confirmation."""
    params: P

    def __init__(self, params: P, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx
        self.approved_facts: dict[str, str] | None = None
        """The ``review_facts()`` a second maintainer approved, set by the engine right
        before ``apply`` of a reviewed step: a kind whose params do not pin what it acts
        on (a tag: the branch's head) acts on these, never on what it would read now."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = _params_argument(cls)
        if model is not None:
            cls.Params = model

    @abstractmethod
    def explain(self) -> str:
        """Markdown: what this does, why it matters, and the exact manual commands."""

    @abstractmethod
    async def check(self) -> CheckResult:
        """Look at the world (never change it) and say how far this step is."""

    def reads(self) -> list[Read]:
        """What ``check`` will ask GitHub, said ahead: ``cockpit status`` and the TUI's
        check-all fetch every check's reads in one batch (``cockpit.services.read_batch``)
        and answer these questions from it. A read not declared costs its own request; one
        declared and then not asked costs a field in the batch. Nothing by default."""
        return []

    @abstractmethod
    async def apply(self) -> None:
        """Make the change. Called only after ``check`` returned incomplete."""

    async def confirmation(self) -> tuple[str, str]:
        """For irreversible actions: (the exact thing being confirmed, the text to type)."""
        return (self.summary, self.ctx.action_id)

    async def review_facts(self, requested_by: str | None = None,
                           claimed: dict[str, str] | None = None) -> dict[str, str]:
        """What a second maintainer must check before this step is applied
        (``review = "required"``), computed from the world now, read-only: the driver's
        run and the reviewer's machine each compute them, and an approval holds only while
        both agree. By default the params and the manual commands; a kind whose params do
        not pin what it acts on (a tag: the branch's head) adds what they resolve to.

        On the reviewer's machine, ``requested_by`` is the driver's GitHub account (the
        request comment's author) and ``claimed`` the request's facts: a kind takes from
        ``claimed`` only what no service can tell (the driver's local signing key) and
        recomputes everything else; on the driver's machine both are None (this token's
        account, and what this machine says)."""
        facts = {name: _fact(value) for name, value in self.params.model_dump().items()}
        facts["command"] = manual_commands(self.explain())
        return facts

    def review_refusal(self, facts: dict[str, str]) -> str | None:
        """Why no approval may be given for ``facts`` even when both machines agree on them
        (a signing key GitHub does not know), or None."""
        return None

    def polling(self) -> Polling:
        """How long and how often the engine polls this action while it is in progress
        (a ``Wait`` always is for a while; a step may be briefly, such as a dispatch that
        GitHub does not list yet). The session's settings, for every kind today."""
        settings = self.ctx.settings
        return Polling(settings.poll_initial_seconds, settings.poll_max_seconds,
                       settings.poll_timeout_seconds)


def _params_argument(cls: type) -> type[Params] | None:
    """The params model ``cls`` names in its bases (``Verify[TagParams]``), if it names one."""
    for base in cls.__dict__.get("__orig_bases__", ()):
        origin = get_origin(base)
        if isinstance(origin, type) and issubclass(origin, ActionKind):
            for arg in get_args(base):
                if isinstance(arg, type) and issubclass(arg, Params):
                    return arg
    return None


class Step(ActionKind[P]):
    """Check, then apply: the kinds that change the world (get-or-create, edit, push).

    ``apply`` runs only after a fresh check said "incomplete", and the engine checks again
    after it (also after it failed: an ambiguous write may have landed)."""


class Verify(ActionKind[P]):
    """Check only: nothing to apply. When the check does not pass, ``fix()`` is what a
    person must do; the failed result says it (the engine asks them to retry or skip).

    A verify's check says "failed" (with the fix in its reason) or "incomplete"; after an
    incomplete one the engine calls ``apply``, which raises ``CannotFix(self.fix())`` and
    so ends in a failed result whose reason is the fix, after one more check."""

    def fix(self) -> str:
        """What a person must do to make the check pass (say it exactly)."""
        return "fix this by hand, then retry"

    async def apply(self) -> None:
        raise CannotFix(self.fix())


class Wait(Verify[P]):
    """Check only, and wait: the check says "in progress" while something outside runs
    (a workflow run, CI, a review) and "done" or "failed" once it is over. The engine
    polls it by ``polling()`` (backoff, then a failure at the deadline) and shows each
    "in progress" reason as the wait's progress: for CI, ``ci_progress`` gives the ETA
    and ``history_note`` explains it. A wait's check never says "incomplete": there is
    nothing a person could apply, so the fix below is only said if one ever does."""

    def fix(self) -> str:
        return "wait for it to finish (or fix what it waits on), then retry"


# -- waiting: the progress a Wait's "in progress" reason carries ----------------------------

def _epoch(stamp: str) -> float:
    """Seconds since the epoch of GitHub's ``2024-05-01T12:00:00Z`` (naive means UTC)."""
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def history_note(what: str = "this workflow") -> str:
    """The wait kinds' explanation of where their ETA comes from."""
    return (f"While it runs, its progress says how long {what} usually takes — the p50 and "
            "p90 of its completed runs over the last 30 days in the CI store that `cockpit ci "
            "serve` fills (`COCKPIT_CI_DATABASE`, else the embedded file; `cockpit ci report "
            "--since 30d` shows the same numbers) — and how long the run has been going: "
            "\"usually 14 min, p90 20 min; 6 min in\". Without a store, or before the first "
            "finished run, it says \"no history yet\".")


async def ci_progress(repo: str, runs: list[WorkflowRun]) -> str:
    """The expected duration and ETA of the run (of ``runs``) expected to finish last:
    ``usually 14 min, p90 20 min; 6 min in (about 8 min to go)``, from the CI store's last
    30 days of each run's workflow; ``no history yet`` without any. Never raises: a broken
    store only costs the hint."""
    from cockpit.ci.history import Expected, expected_async, progress

    best: tuple[float, Expected | None, float | None, str] | None = None
    for run in runs:
        try:
            expected = await expected_async(repo, run.name) if run.name else None
        except Exception:  # the hint is optional; the wait itself must go on
            expected = None
        elapsed = (time.time() - _epoch(run.created_at)
                   if run.created_at and run.run_attempt == 1 else None)
        left = (expected.p90 - (elapsed or 0.0)) if expected else float("-inf")
        if best is None or left > best[0]:
            best = (left, expected, elapsed, run.name or "")
    if best is None:
        return "no history yet"
    _, expected, elapsed, name = best
    text = progress(expected, elapsed)
    return f"{name}: {text}" if len(runs) > 1 and name else text


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


def reversibility_of(kind: str, declared: Reversibility | None = None) -> Reversibility:
    """An action's class: what its playbook entry declares, else its kind's default. A kind
    with no implementation changes nothing itself (a person does it), so it is reversible
    unless the playbook says otherwise."""
    if declared is not None:
        return declared
    info = REGISTRY.get(kind)
    if info is None or info.implementation is None:
        return Reversibility.REVERSIBLE
    return info.implementation.reversibility


def register(cls: type[ActionKind]) -> type[ActionKind]:
    """Class decorator: make a kind available to playbooks by its ``kind`` name."""
    return REGISTRY.register(cls)


def code_block(*commands: str, lang: str = "sh") -> str:
    """Render manual commands as a fenced block for explanations (fenced with more
    backticks than any line of it starts with, so a body holding a code block stays in)."""
    text = "\n".join(commands)
    fence = "```"
    while any(line.lstrip().startswith(fence) for line in text.splitlines()):
        fence += "`"
    return f"{fence}{lang}\n{text}\n{fence}"


def into_clone(url: str, repo: str) -> str:
    """The first commands of a git explanation: into a clone of ``repo`` (made if there is
    none here), so each action's commands run as pasted in a fresh terminal, or after
    another action's."""
    name = repo.split("/")[-1]
    return f"test -d {name} || git clone {url}\ncd {name}"


def unless_found(variable: str, write: str) -> str:
    """The write of a get-or-create block, run only when the lookup before it left
    ``$variable`` empty: the block pasted a second time writes nothing, as the cockpit's
    own rerun (a lookup that answers ``then stop`` is read by a person, not by a paste)."""
    return (f'if [ -n "${variable}" ]; then echo "already there: ${variable}"; '
            f"else {write}; fi")


def write_file(path: str, text: str) -> str:
    """The shell command that writes ``text`` to ``path`` (a quoted here-document, so
    nothing in it is expanded): how an explanation hands a body to the command that reads
    it, pasteable as it is."""
    end = "EOF"
    while end in text.splitlines():
        end += "_"
    return f"cat > {path} <<'{end}'\n{text.rstrip(chr(10))}\n{end}"


T = TypeVar("T")


def found(looked_up: T | CheckResult) -> T:
    """For ``apply``: what a lookup found, else an error with the failed check's reason.

    A lookup that a kind's ``check`` and ``apply`` share (the pull request of a head and
    base, the file on a pushed branch) returns the thing or the failed ``CheckResult``
    saying what is missing; ``check`` returns that result, ``apply`` (which runs only after
    a check found the thing) passes its lookup through this."""
    if isinstance(looked_up, CheckResult):
        raise RuntimeError(looked_up.reason)
    return looked_up


def manual_commands(markdown: str) -> str:
    """The commands of an explanation's fenced blocks, one per line."""
    lines: list[str] = []
    fence = ""
    for line in markdown.splitlines():
        if not fence and line.startswith("```"):
            fence = line[:len(line) - len(line.lstrip("`"))]
        elif fence and line == fence:
            fence = ""
        elif fence:
            lines.append(line)
    return "\n".join(lines)


def _fact(value: Any) -> str:
    """A param as one comparable string (lists and tables as sorted JSON)."""
    import json

    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


LogFn = Callable[[str, str | None], None]
