"""The engine: runs a stage's actions in order, safely, and says what happened.

For each action: check; if done, skip; if incomplete, apply then check again;
if in progress, poll with backoff until done or a timeout; if failed, stop and
ask the human (retry / skip with a reason / abort). Everything it does is
published as typed events on an ``EventBus``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

from cockpit.actions import REGISTRY, ActionKind, reversibility_of
from cockpit.actions.base import Polling
from cockpit.bus import EventBus
from cockpit.context import ACTION_HOLDS, CURRENT_ACTION, ActionContext, Session, acting
from cockpit.errors import BadInput, CockpitError, Declined, StageStopped
from cockpit.events import (
    ActionApplying,
    ActionChecked,
    ActionFinished,
    Event,
    LogLine,
    PromptAnswered,
    PromptAsked,
    StageFinished,
    StageStarted,
    Waiting,
)
from cockpit.model import CheckResult, Outcome, Reversibility, Status, Version
from cockpit.playbook import (
    ActionSpec,
    Playbook,
    StageSpec,
    TemplateError,
    render,
    skipped_by_condition,
    template_values,
)
from cockpit.prompts import (
    FAILURE_CHOICES,
    Choose,
    Confirm,
    Prompt,
    PromptAnswer,
    fill_notation,
)

MAX_CONCURRENT_CHECKS = 16
"""Checks in flight at once when a whole release is checked (``cockpit status``, the TUI):
the state of ~150 actions then costs about the slowest few checks, not their sum."""

SNAPSHOT_CHECKS = 128
"""The same inside a read snapshot (``cockpit.services.snapshot``), where most checks
wait on an answer another check's request (or the read-ahead batch) is already getting:
with 16, a check of the last stage queued behind those waiting ones for as many round
trips as there are batches of 16 before it. Requests stay bounded by each service
client's own limit (``HttpClient.max_concurrency``)."""


class UnknownStage(BadInput, LookupError):
    """No stage of that name in the playbook."""


def _describe(exc: Exception) -> str:
    """Our own errors carry a full sentence already; anything else (a KeyError from an
    unexpected answer) needs its type, or "check failed: 'login'" says nothing."""
    return str(exc) if isinstance(exc, CockpitError) else f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class ActionReport:
    stage: str
    action: str
    outcome: Outcome
    reason: str
    link: str | None = None


@dataclass(frozen=True)
class StageReport:
    stage: str
    outcome: Outcome
    reason: str
    actions: tuple[ActionReport, ...]


@dataclass(frozen=True)
class Verdict:
    """Whether a step marked ``review = "required"`` may go ahead now, and why (or why not)."""

    approved: bool
    reason: str
    """``approved by bob``, or what is awaited (and why an approval there is void)."""


class ReviewGate(Protocol):
    """Where a reviewed step asks a second maintainer and finds the approval (the tracking
    issue: ``cockpit.sync.review.ReviewDesk``, set by the synced run)."""

    async def verdict(self, stage: str, action_id: str, facts: dict[str, str]) -> Verdict:
        """Ask (once per release and action) and look for an approval of ``facts``, the
        step's ``review_facts()`` computed just now."""
        ...


class _Stop(Exception):
    """Ends a stage early with an outcome (abort, needs a human)."""

    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason

    @classmethod
    def because(cls, exc: StageStopped) -> _Stop:
        """A declined stage is cancelled; any other stop waits for a human."""
        return cls(Outcome.CANCELLED if isinstance(exc, Declined) else Outcome.NEEDS_HUMAN,
                   str(exc))


class _EventPrompter:
    """Wraps the session's prompter so every question and answer becomes an event."""

    def __init__(self, engine: Engine, inner: object) -> None:
        self.engine = engine
        self.inner = inner
        self.stage = ""
        self.action = ""
        self._one_at_a_time = asyncio.Lock()

    async def ask(self, prompt: Prompt) -> PromptAnswer:
        key = self.engine.release_key
        # Whose question: the asking task's action (a check asks too), not the last run's.
        stage, action = CURRENT_ACTION.get()
        stage, action = stage or self.stage, action or self.action
        # Stages side by side may both ask: one question at a time, each asked (and
        # journalled as asked) only when it is on the screen, never two modals at once.
        async with self._one_at_a_time:
            self.engine.bus.publish(PromptAsked(release=key, stage=stage, action=action,
                                                prompt=prompt))
            answer: PromptAnswer = await self.inner.ask(prompt)  # type: ignore[attr-defined]
        self.engine.bus.publish(PromptAnswered(release=key, stage=stage, action=action,
                                               prompt_id=prompt.id, answer=answer))
        return answer


class Engine:
    """Runs stages of one playbook for one release in one session."""

    def __init__(self, playbook: Playbook, session: Session, bus: EventBus | None = None) -> None:
        self.playbook = playbook
        self.session = session
        self.bus = bus or EventBus()
        self._prompter = _EventPrompter(self, session.prompter)
        session.prompter = self._prompter
        session.emit_log = self._emit_log
        session.version_format = playbook.versions  # explaining without a release
        self.values = template_values(playbook, session.version, session.settings)
        self.review_gate: ReviewGate | None = None
        """Where reviewed steps ask for approval; None: they stop, "waiting for review"."""
        self.solo = False
        """``--solo``: one maintainer; reviewed steps ask a typed acknowledgement instead."""

    @property
    def release_key(self) -> str:
        release = self.session.release
        return release.key if release else f"{self.playbook.name}-explain"

    def _publish(self, event: Event) -> None:
        self.bus.publish(event)

    def _emit_log(self, stage: str, action: str | None, line: str, manual: str | None) -> None:
        self._publish(LogLine(release=self.release_key, stage=stage, action=action, line=line,
                              manual=manual))

    def stage(self, stage_id: str) -> StageSpec:
        stage = self.playbook.stage(stage_id)
        if stage is None:
            known = ", ".join(s.id for s in self.playbook.stages)
            raise UnknownStage(f"no stage {stage_id!r} in playbook {self.playbook.name} "
                               f"(stages: {known})")
        return stage

    def build(self, stage: StageSpec, spec: ActionSpec) -> ActionKind | None:
        """The action object for a spec, or None when its kind has no implementation yet."""
        info = REGISTRY.get(spec.kind)
        if info is None or info.implementation is None or info.params_model is None:
            return None
        params = info.params_model.model_validate(render(spec.params, self.values))
        ctx = ActionContext(self.session, stage.id, spec.id, self.values, self._title(spec),
                            sibling=lambda ref: self._build_ref(stage, ref))
        return info.implementation(params, ctx)

    def _build_ref(self, stage: StageSpec, ref: str) -> ActionKind | None:
        """The action ``stage/action`` (or ``action`` of ``stage``), or None if none is."""
        stage_id, _, action_id = ref.rpartition("/")
        other = self.playbook.stage(stage_id) if stage_id else stage
        spec = other.action(action_id) if other is not None else None
        return self.build(other, spec) if other is not None and spec is not None else None

    def not_applicable_reason(self, stage: StageSpec | None = None,
                              spec: ActionSpec | None = None) -> str:
        """Why a stage or action is left out: its release kind, or (``when = "..."``) the
        condition that is false, "skipped by condition" (neither done nor failed)."""
        return self.skipped_by_condition(stage, spec) or self._kind_reason()

    def skipped_by_condition(self, stage: StageSpec | None,
                             spec: ActionSpec | None = None) -> str:
        """"skipped by condition: … is false for v1.2.0" when a ``when`` expression leaves
        the stage (or the action) out; empty when it applies or its kind leaves it out."""
        version = self.session.version
        for item in (stage, spec):
            if item is not None and isinstance(version, Version) \
                    and not item.applies_to(version, self.values):
                return skipped_by_condition(item.when, version, self.values) or ""
        return ""

    def _kind_reason(self) -> str:
        version = self.session.version
        kind = version.kind.value if isinstance(version, Version) else "this"
        return f"does not apply to a {kind} release"

    def applies(self, stage: StageSpec, spec: ActionSpec | None = None) -> bool:
        version = self.session.version
        if not isinstance(version, Version):
            return True
        return stage.applies_to(version, self.values) and (
            spec is None or spec.applies_to(version, self.values))

    # -- checks only -------------------------------------------------------------------

    def read_ahead(self) -> int:
        """Start fetching what every applicable check declared it will read from GitHub
        (``ActionKind.reads``) in one batch, for the checks that follow inside the current
        read snapshot (``cockpit.services.read_batch``). Returns how many reads. Outside a
        snapshot it does nothing: no check would be answered from the batch; nor when this
        snapshot has one already (``cockpit status`` starts it before reading the tracking
        issue, whose lookup it answers too)."""
        from cockpit.services import read_batch
        from cockpit.services.reads import Read
        from cockpit.services.snapshot import READ_SNAPSHOT

        snapshot = READ_SNAPSHOT.get()
        gh = self.session.github()
        if snapshot is None or snapshot.batches.get(read_batch.credential_id(gh)):
            return 0
        reads: set[Read] = set()
        for stage in self.playbook.stages:
            for spec in stage.actions:
                if not self.applies(stage, spec):
                    continue
                try:
                    action = self.build(stage, spec)
                except Exception:  # its check reports the bad params itself
                    continue
                if action is not None:
                    reads.update(action.reads())
        if reads:
            batch = read_batch.start(gh, reads)
            if batch is not None:
                usage = self.session.usage
                batch.done.add_done_callback(
                    lambda _: usage.add_graphql_cost(batch.cost or 0))
        return len(reads)

    async def check_action(self, stage: StageSpec, spec: ActionSpec) -> CheckResult:
        """One read-only check, as a result (errors and missing kinds become results)."""
        if not self.applies(stage, spec):  # callers skip these; never "failed" for them
            return CheckResult.done(self.not_applicable_reason(stage, spec))
        token = CURRENT_ACTION.set((stage.id, spec.id))  # this check's lines are its own
        try:
            action = self.build(stage, spec)
            if action is None:
                return CheckResult.failed(f"kind {spec.kind!r} has no implementation yet: "
                                          "do this step by hand (see `cockpit explain`)")
            return await action.check()
        except Exception as exc:  # a check must never take the engine down
            return CheckResult.failed(self.session.redact(_describe(exc)))
        finally:
            CURRENT_ACTION.reset(token)

    # -- running -----------------------------------------------------------------------

    async def run_stage(self, stage_id: str) -> StageReport:
        stage = self.stage(stage_id)
        release = self.session.release
        key = self.release_key
        self._publish(StageStarted(release=key, stage=stage.id,
                                   driver=release.driver if release else "",
                                   host=release.host if release else "",
                                   read_only=self.session.read_only))
        reports: list[ActionReport] = []
        outcome, reason = Outcome.DONE, "every action is done"
        try:
            if not self.applies(stage):
                outcome, reason = Outcome.NOT_APPLICABLE, self.not_applicable_reason(stage)
            else:
                for spec in stage.actions:
                    report = await self._run_action(stage, spec)
                    reports.append(report)
                    if report.outcome in (Outcome.FAILED, Outcome.ABORTED, Outcome.NEEDS_HUMAN,
                                          Outcome.CANCELLED, Outcome.AWAITING_REVIEW):
                        outcome, reason = report.outcome, f"{spec.id}: {report.reason}"
                        break
        except asyncio.CancelledError:
            who = f"{release.driver}@{release.host}" if release else "the driver"
            self._publish(StageFinished(
                release=key, stage=stage.id, outcome=Outcome.CANCELLED,
                reason=f"cancelled by {who}: rerun the stage to resume (finished actions "
                       "are checked, not redone)"))
            raise
        self._publish(StageFinished(release=key, stage=stage.id, outcome=outcome, reason=reason))
        return StageReport(stage.id, outcome, reason, tuple(reports))

    def _finish(self, stage: StageSpec, spec: ActionSpec, outcome: Outcome, reason: str,
                link: str | None = None) -> ActionReport:
        self._publish(ActionFinished(release=self.release_key, stage=stage.id, action=spec.id,
                                     outcome=outcome, reason=reason, link=link))
        return ActionReport(stage.id, spec.id, outcome, reason, link)

    async def _run_action(self, stage: StageSpec, spec: ActionSpec) -> ActionReport:
        holds: list[asyncio.Lock] = []  # what it holds (a clone) is released when it ends
        token = ACTION_HOLDS.set(holds)
        try:
            with acting(stage.id, spec.id):  # what runs for it logs under it, and only that
                return await self._run_action_acting(stage, spec)
        finally:
            ACTION_HOLDS.reset(token)
            for lock in reversed(holds):
                lock.release()

    async def _run_action_acting(self, stage: StageSpec, spec: ActionSpec) -> ActionReport:
        self._prompter.stage, self._prompter.action = stage.id, spec.id
        if not self.applies(stage, spec):
            return self._finish(stage, spec, Outcome.NOT_APPLICABLE,
                                self.not_applicable_reason(stage, spec))
        try:
            action = self.build(stage, spec)
        except TemplateError as exc:
            return self._finish(stage, spec, Outcome.FAILED, str(exc))
        try:
            if action is None:
                return await self._unimplemented(stage, spec)
            return await self._drive(stage, spec, action)
        except _Stop as stop:
            return self._finish(stage, spec, stop.outcome, stop.reason)

    async def _unimplemented(self, stage: StageSpec, spec: ActionSpec) -> ActionReport:
        """Say plainly that nothing will run here; the human may do it by hand and skip."""
        earlier = self.session.skipped.get((stage.id, spec.id))
        if earlier is not None:
            return self._finish(stage, spec, Outcome.SKIPPED, f"skipped earlier: {earlier}")
        result = CheckResult.failed(
            f"kind {spec.kind!r} has no implementation yet in this cockpit: do this step by "
            f"hand (`cockpit explain {stage.id}/{spec.id}`), then skip it with a reason")
        self._publish(ActionChecked(release=self.release_key, stage=stage.id, action=spec.id,
                                    result=result))
        choice = await self._ask_failure(stage, spec, result)
        if choice.value == "skip":
            return self._finish(stage, spec, Outcome.SKIPPED,
                                f"skipped (done by hand?): {choice.note or 'no reason given'}")
        outcome = Outcome.ABORTED if choice.value == "abort" else Outcome.FAILED
        return self._finish(stage, spec, outcome, result.reason)

    async def _check(self, stage: StageSpec, spec: ActionSpec, action: ActionKind) -> CheckResult:
        try:
            result = await action.check()
        except StageStopped as exc:
            raise _Stop.because(exc) from None
        except Exception as exc:
            result = CheckResult.failed(self.session.redact(f"check failed: {_describe(exc)}"))
        self._publish(ActionChecked(release=self.release_key, stage=stage.id, action=spec.id,
                                    result=result))
        return result

    async def _drive(self, stage: StageSpec, spec: ActionSpec, action: ActionKind) -> ActionReport:
        polling = action.polling()
        result = await self._check(stage, spec, action)
        applied = False
        waited_since: float | None = None
        delay = polling.first
        while True:
            if result.status is Status.DONE:
                return self._finish(stage, spec, Outcome.DONE, result.reason, result.link)
            if result.status is Status.INCOMPLETE and self.session.read_only:
                return self._finish(stage, spec, Outcome.NEEDS_HUMAN,
                                    f"would apply (read-only session): {result.reason}",
                                    result.link)
            if result.status is Status.INCOMPLETE and not applied:
                applied = True
                result = await self._apply(stage, spec, action)
                continue
            if result.status is Status.INCOMPLETE:
                result = CheckResult.failed(f"still incomplete after applying: {result.reason}",
                                            result.link)
            if result.status is Status.IN_PROGRESS:
                now = time.monotonic()
                waited_since = waited_since or now
                if now - waited_since < polling.deadline:
                    self._publish(Waiting(release=self.release_key, stage=stage.id,
                                          action=spec.id, seconds=delay, reason=result.reason))
                    await asyncio.sleep(delay)
                    delay = polling.after(delay)
                    result = await self._check(stage, spec, action)
                    continue
                result = CheckResult.failed(
                    f"timed out after {polling.deadline:.0f}s: {result.reason}",
                    result.link)
            # FAILED: the human decides.
            choice = await self._ask_failure(stage, spec, result)
            if choice.value == "retry":
                applied, waited_since, delay = False, None, polling.first
                result = await self._check(stage, spec, action)
                continue
            if choice.value == "skip":
                return self._finish(stage, spec, Outcome.SKIPPED,
                                    f"skipped: {choice.note or 'no reason given'}")
            if choice.value == "abort":
                return self._finish(stage, spec, Outcome.ABORTED,
                                    f"aborted by the driver: {result.reason}", result.link)
            return self._finish(stage, spec, Outcome.FAILED, result.reason, result.link)

    async def _apply(self, stage: StageSpec, spec: ActionSpec, action: ActionKind) -> CheckResult:
        if spec.review == "required":
            refused = await self._reviewed(stage, spec, action)
            if refused is not None:
                return refused
        if reversibility_of(spec.kind, spec.reversibility) is Reversibility.IRREVERSIBLE:
            try:
                detail, typed = await action.confirmation()
            except Exception as exc:
                return CheckResult.failed(self.session.redact(f"cannot prepare: {exc}"))
            answer = await self._ask(Confirm(
                id=f"{stage.id}/{spec.id}/confirm", title=f"Confirm: {self._title(spec)}",
                message="This is a point of no return: nothing undoes it once done. Check "
                        "it, then type the confirmation.",
                detail=detail, typed_confirmation=typed))
            if answer.value is not True:
                raise _Stop(Outcome.CANCELLED, "not confirmed, so nothing was changed: rerun "
                                               "the stage to be asked again")
            if spec.review == "required" and not self.solo:
                # The branch may have moved while the driver read and typed: still approved?
                refused = await self._reviewed(stage, spec, action)
                if refused is not None:
                    return refused
        self._publish(ActionApplying(release=self.release_key, stage=stage.id, action=spec.id))
        try:
            await action.apply()
        except StageStopped as exc:
            raise _Stop.because(exc) from None
        except Exception as exc:
            # After any failure the world is re-checked: the change may have landed anyway.
            self._emit_log(stage.id, spec.id,
                           self.session.redact(f"apply failed: {exc}; checking again"), None)
            result = await self._check(stage, spec, action)
            if result.status is Status.INCOMPLETE:
                return CheckResult.failed(self.session.redact(f"apply failed: {exc}"))
            return result
        return await self._check(stage, spec, action)

    async def _reviewed(self, stage: StageSpec, spec: ActionSpec,
                        action: ActionKind) -> CheckResult | None:
        """None once a second maintainer approved this step's facts as they are now (or a
        solo driver typed the acknowledgement); waits, polling, until then."""
        action.approved_facts = None  # set again by the approval this run finds, if any
        if self.solo:
            return await self._solo(stage, spec)
        if self.review_gate is None:
            raise _Stop(Outcome.AWAITING_REVIEW,
                        "a second maintainer must approve this first, on the tracking issue, "
                        "and this run has none (sync is off, or the playbook has no tracking "
                        "issue): turn sync on, or pass --solo if you maintain it alone")
        settings = self.session.settings
        polling = Polling(settings.review_poll_seconds, settings.review_poll_seconds,
                          settings.review_wait_seconds)
        started, delay = time.monotonic(), polling.first
        while True:
            try:
                facts = await action.review_facts()
                verdict = await self.review_gate.verdict(stage.id, spec.id, facts)
            except StageStopped as exc:
                raise _Stop.because(exc) from None
            except Exception as exc:
                return CheckResult.failed(self.session.redact(
                    f"cannot ask for review: {_describe(exc)}"))
            if verdict.approved:
                self._emit_log(stage.id, spec.id, verdict.reason, None)
                action.approved_facts = facts  # apply acts on what was approved, no later head
                return None
            over = time.monotonic() - started >= polling.deadline
            refusal = action.review_refusal(facts)  # a reviewer would refuse: say why here too
            reason = f"{verdict.reason}; {refusal}" if refusal else verdict.reason
            self._publish(Waiting(release=self.release_key, stage=stage.id, action=spec.id,
                                  seconds=0 if over else delay, reason=reason, review=True))
            if over:
                raise _Stop(Outcome.AWAITING_REVIEW, reason)
            await asyncio.sleep(delay)
            delay = polling.after(delay)

    async def _solo(self, stage: StageSpec, spec: ActionSpec) -> CheckResult | None:
        """No second maintainer (``--solo``): the driver types that they checked it alone;
        the answer is in the journal, and the log line in the shared one."""
        answer = await self._ask(Confirm(
            id=f"{stage.id}/{spec.id}/solo", title=f"Solo: {self._title(spec)}",
            message="This step asks for a second maintainer's review. You run with --solo: "
                    "check its facts yourself, then type the acknowledgement.",
            detail=spec.title, typed_confirmation="solo"))
        if answer.value is not True:
            raise _Stop(Outcome.CANCELLED, "solo review not acknowledged, so nothing was "
                                           "changed: rerun to be asked again")
        who = self.session.release.driver if self.session.release else "the driver"
        self._emit_log(stage.id, spec.id, f"review: skipped with --solo, acknowledged by {who} "
                                          "(no second maintainer checked this)", None)
        return None

    async def _ask(self, prompt: Prompt) -> PromptAnswer:
        try:
            return await self._prompter.ask(prompt)
        except StageStopped as exc:
            raise _Stop.because(exc) from None

    async def _ask_failure(self, stage: StageSpec, spec: ActionSpec,
                           result: CheckResult) -> PromptAnswer:
        return await self._ask(Choose(
            id=f"{stage.id}/{spec.id}/failed", title=f"Failed: {self._title(spec)}",
            message=result.reason + (f"\n{result.link}" if result.link else ""),
            choices=FAILURE_CHOICES))

    def _title(self, spec: ActionSpec) -> str:
        """The action's title for this release: ``Tag v0.30.0-rc1``, not ``Tag vX.Y.Z-rcN``."""
        return fill_notation(spec.title, self.session.version)
