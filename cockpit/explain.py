"""Plain-text (markdown) explanations of a playbook, a stage, an action, a plan.

Shared by ``cockpit explain``, ``cockpit plan`` and the TUI's explanation pane,
so what a maintainer reads is the same everywhere.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import cockpit
from cockpit import stage_order
from cockpit.actions import REGISTRY, reversibility_of
from cockpit.actions.base import Verify
from cockpit.actions.catalog import kind_test_file
from cockpit.engine import Engine
from cockpit.model import Reversibility, Version
from cockpit.playbook import ActionSpec, StageSpec, TemplateError, template_values
from cockpit.prompts import fill_notation

NOT_IMPLEMENTED = "not implemented yet"


def _when(conditions: list[object]) -> str:
    return f" [{', '.join(str(c) for c in conditions)}]" if conditions else ""


def implemented(spec: ActionSpec) -> bool:
    return REGISTRY.is_implemented(spec.kind)


def reversibility(spec: ActionSpec) -> Reversibility:
    """The action's class: its playbook entry's, else its kind's (imports the kind)."""
    return reversibility_of(spec.kind, spec.reversibility)


def reversibility_line(spec: ActionSpec) -> str:
    """``Reversibility: **irreversible** — a point of no return: …`` for `explain`."""
    found = reversibility(spec)
    info = REGISTRY.get(spec.kind)
    if (spec.reversibility is None and info is not None and info.implementation is not None
            and issubclass(info.implementation, Verify)):
        return f"Reversibility: **{found.words}** — a check: it changes nothing."
    source = "" if spec.reversibility is None else " (declared by the playbook)"
    return f"Reversibility: **{found.words}**{source} — {found.meaning}."


def points_of_no_return(engine: Engine) -> list[tuple[StageSpec, ActionSpec]]:
    """The irreversible actions this release applies (every one, without a release), in
    the order a release meets them."""
    return [(stage, spec) for stage in engine.playbook.stages for spec in stage.actions
            if engine.applies(stage, spec) and reversibility(spec) is Reversibility.IRREVERSIBLE]


def explain_playbook(engine: Engine) -> str:
    playbook = engine.playbook
    missing = sum(1 for s in playbook.stages for a in s.actions if not implemented(a))
    lines = [f"# {playbook.title}", "", playbook.description.strip(), "",
             f"{len(playbook.stages)} stages, {playbook.action_count} actions "
             f"({missing} {NOT_IMPLEMENTED}).", ""]
    for number, stage in enumerate(playbook.stages, 1):
        lines.append(f"{number:2}. {stage.id}{_when(list(stage.when))} — {stage.title} "
                     f"({len(stage.actions)} actions)")
        lines.append(f"    {stage.summary.strip()}")
    lines += ["", "`cockpit explain STAGE` explains each action of a stage, with the file and "
                  "line of its kind's code and its test file (`cockpit/actions/catalog.py` "
                  "lists every kind)."]
    return "\n".join(lines)


def explain_stage(engine: Engine, stage: StageSpec) -> str:
    lines = [f"# {stage.title} ({stage.id}){_when(list(stage.when))}", "",
             stage.summary.strip(), "", *_needs_line(stage)]
    for spec in stage.actions:
        lines += [explain_action(engine, stage, spec, heading="##", where=True), ""]
    return "\n".join(lines)


def _needs_line(stage: StageSpec) -> list[str]:
    """``Needs: docs, binaries.`` for a stage that declares its needs (none: file order)."""
    if stage.needs is None:
        return []
    return [f"Needs: {', '.join(stage.needs)}." if stage.needs else "Needs: nothing.", ""]


def stage_overview(engine: Engine, stage: StageSpec) -> str:
    """A stage's summary and one line per action: the TUI's view of a stage.

    Short on purpose: each action's full explanation is one selection away, and
    rendering every action's explanation at once made the first paint slow.
    """
    lines = [f"# {stage.title} ({stage.id}){_when(list(stage.when))}", "",
             stage.summary.strip(), "", "Actions, in order:", ""]
    for spec in stage.actions:
        notes = []
        if not engine.applies(stage, spec):
            notes.append(engine.skipped_by_condition(stage, spec)
                         or "does not apply to this release")
        if not implemented(spec):
            notes.append(f"**{NOT_IMPLEMENTED}**")
        extra = f" ({'; '.join(notes)})" if notes else ""
        lines.append(f"- **{spec.id}**{_when(list(spec.when))} — {spec.title} · "
                     f"`{spec.kind}`{extra}")
    lines += ["", "Select an action (Enter expands the stage) for what it does, why, and its "
              f"exact manual equivalent; `cockpit explain {stage.id}` prints them all."]
    return "\n".join(lines)


def code_location(cls: type[object]) -> str:
    """``file:line`` of a kind's class, relative to the directory holding the package."""
    source = Path(inspect.getsourcefile(cls) or inspect.getfile(cls)).resolve()
    root = Path(cockpit.__file__).resolve().parents[1]
    shown = source.relative_to(root) if source.is_relative_to(root) else source
    lines, first = inspect.getsourcelines(cls)  # from its first decorator
    offset = next((n for n, line in enumerate(lines) if line.lstrip().startswith("class ")), 0)
    return f"{shown.as_posix()}:{first + offset}"


def _where(kind: str, cls: type[object]) -> str:
    """Where a newcomer reads the kind: its class and (for a built-in kind) its tests."""
    code = f"Code: `{code_location(cls)}` (`{cls.__name__}`)"
    tests = kind_test_file(kind)
    return code + (f"  \nTest: `{tests}`" if tests else "")


def explain_action(engine: Engine, stage: StageSpec, spec: ActionSpec,
                   heading: str = "#", *, where: bool = False) -> str:
    """One action's explanation; ``where`` adds its kind's code location and test file
    (the CLI shows them; the TUI pane leaves them out)."""
    info = REGISTRY.get(spec.kind)
    title = f"{heading} {stage.id}/{spec.id}{_when(list(spec.when))} — {spec.title}"
    kind_line = f"Kind: `{spec.kind}`"
    if where and info is not None and info.implementation is not None:
        kind_line += "  \n" + _where(spec.kind, info.implementation)
    if info is None or not info.implemented:
        summary = info.summary if info else "unknown kind"
        return (f"{title}\n\n{kind_line} — **{NOT_IMPLEMENTED}**: the cockpit will stop here "
                f"and ask you to do it by hand.\n\n{summary}.\n\n{reversibility_line(spec)}"
                f"\n\nParameters: `{spec.params}`")
    try:
        action = engine.build(stage, spec)
    except TemplateError as exc:
        return f"{title}\n\n{kind_line}\n\nCannot explain: {exc}"
    assert action is not None
    return f"{title}\n\n{kind_line}\n\n{reversibility_line(spec)}\n\n{action.explain()}"


def plan_text(engine: Engine) -> str:
    version = engine.session.version
    assert isinstance(version, Version)
    lines = [f"Plan for {engine.playbook.title} {version.tag} ({version.kind}):", ""]
    counts = {"run": 0, "skip": 0, "missing": 0}
    for number, stage in enumerate(engine.playbook.stages, 1):
        if not engine.applies(stage):
            lines.append(f"{number:2}. {stage.id}: skipped (only{_when(list(stage.when))})")
            counts["skip"] += len(stage.actions)
            continue
        lines.append(f"{number:2}. {stage.id} — {stage.title}")
        for spec in stage.actions:
            if not engine.applies(stage, spec):
                counts["skip"] += 1
                skipped = engine.skipped_by_condition(stage, spec)
                if skipped:  # a condition's verdict is worth a line; a kind's is not
                    lines.append(f"      - {spec.id}: {spec.title}   ({skipped})")
                continue
            note = "" if implemented(spec) else f"   ({NOT_IMPLEMENTED}: by hand)"
            counts["run" if implemented(spec) else "missing"] += 1
            lines.append(f"      - {spec.id}: {spec.title}{note}")
    lines += ["", f"{counts['run'] + counts['missing']} actions apply "
                  f"({counts['missing']} {NOT_IMPLEMENTED}); {counts['skip']} do not apply.",
              "", *kinds_table(engine, version), "", *_order_text(engine),
              *_points_of_no_return_text(engine)]
    return "\n".join(lines)


def kinds_table(engine: Engine, current: Version) -> list[str]:
    """How many actions of each stage every kind of release the playbook's ``[versions]``
    accepts runs (an RC, a final, a patch release...): what another kind would do
    differently, without a second ``plan``. The column of this release is marked ``*``."""
    playbook = engine.playbook
    samples = playbook.versions.samples()
    heads = [sample.kind.value + ("*" if sample.kind is current.kind else "")
             for sample in samples.values()]
    width = max(len("stage"), *(len(stage.id) for stage in playbook.stages))
    form = playbook.versions
    lines = [f"Actions per kind of release ({form.scheme.words}, tags {form.tag}; samples "
             + ", ".join(f"{label} {sample.tag}" for label, sample in samples.items()) + "):",
             "  " + "stage".ljust(width) + "".join(f"{head:>8}" for head in heads)]
    totals = [0] * len(samples)
    values = [_sample_values(engine, sample) for sample in samples.values()]
    for stage in playbook.stages:
        counts = [sum(1 for spec in stage.actions if spec.applies_to(sample, given))
                  if stage.applies_to(sample, given) else 0
                  for sample, given in zip(samples.values(), values, strict=True)]
        totals = [total + count for total, count in zip(totals, counts, strict=True)]
        lines.append("  " + stage.id.ljust(width)
                     + "".join(f"{count or '-':>8}" for count in counts))
    lines.append("  " + "total".ljust(width) + "".join(f"{total:>8}" for total in totals))
    return [*lines, "`cockpit plan --kinds` names the actions of each kind."]


def kinds_matrix(engine: Engine) -> str:
    """``cockpit plan --kinds``: every action, and which kinds of release run it (a sample
    of each kind the playbook's ``[versions]`` accepts), so a playbook's ``when`` can be
    read for all releases at once instead of one ``plan`` per version."""
    playbook = engine.playbook
    samples = playbook.versions.samples()
    values = [_sample_values(engine, sample) for sample in samples.values()]
    heads = [sample.kind.value for sample in samples.values()]
    width = max(len(f"{stage.id}/{spec.id}") for stage in playbook.stages
                for spec in stage.actions)
    form = playbook.versions
    lines = [f"Which kinds of release run each action of {playbook.title} ({form.scheme.words}, "
             f"tags {form.tag}; samples "
             + ", ".join(f"{label} {sample.tag}" for label, sample in samples.items()) + "):",
             "", "  " + "".ljust(width) + "".join(f"{head:>7}" for head in heads)]
    for stage in playbook.stages:
        for spec in stage.actions:
            runs = [stage.applies_to(sample, given) and spec.applies_to(sample, given)
                    for sample, given in zip(samples.values(), values, strict=True)]
            lines.append("  " + f"{stage.id}/{spec.id}".ljust(width)
                         + "".join(f"{'✓' if run else '·':>7}" for run in runs))
    lines += ["", "✓ runs, · does not apply; `cockpit plan --release V` lists one release's "
                  "actions in order."]
    return "\n".join(lines)


def _sample_values(engine: Engine, sample: Version) -> dict[str, object] | None:
    """The template values a release of ``sample`` would have (its conditions see them)."""
    try:
        return template_values(engine.playbook, sample, engine.session.settings)
    except TemplateError:
        return None


def _order_text(engine: Engine) -> list[str]:
    """The stages in dependency order, those that may overlap on one line; only for a
    playbook that declares ``needs`` (without, the order is the file's: nothing to say)."""
    playbook = engine.playbook
    if all(stage.needs is None for stage in playbook.stages):
        return []
    lines = ["Order (stages on one line may run side by side):"]
    for number, wave in enumerate(stage_order.waves(playbook.needs), 1):
        needs = {tuple(playbook.needs[s]) for s in wave}
        why = ""
        if len(needs) == 1 and (shared := next(iter(needs))):
            why = f" ({'each needs' if len(wave) > 1 else 'needs'} {', '.join(shared)})"
        elif len(needs) > 1:
            why = " (" + "; ".join(f"{s} needs {', '.join(playbook.needs[s]) or 'nothing'}"
                                   for s in wave) + ")"
        lines.append(f"  {number}. {' ∥ '.join(wave)}{why}")
    return [*lines, ""]


def _points_of_no_return_text(engine: Engine) -> list[str]:
    """The plan's last section: what this release cannot take back, in order."""
    found = points_of_no_return(engine)
    if not found:
        return ["Points of no return: none (nothing this release applies is irreversible)."]
    lines = [f"Points of no return ({len(found)}, in order): once applied, nothing undoes "
             "them.", "Each asks for a typed confirmation first; a rerun finds it done and "
                     "goes on."]
    version = engine.session.version
    for number, (stage, spec) in enumerate(found, 1):
        lines.append(f"  {number}. {stage.id}/{spec.id}: {fill_notation(spec.title, version)}")
    return lines
