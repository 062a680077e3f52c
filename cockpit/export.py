"""The playbook as the checklist people keep: `cockpit export --markdown`.

Teams keep their release checklist as a document (Kubo's is a GitHub issue template of
task lists). This renders the playbook in that shape, so adopting the cockpit costs them
nothing and the document can never drift from what the cockpit runs: stages as ``##``
headings, each action one ``- [ ]`` item with its marks (**RC**, **FINAL**, **PATCH** from
its ``when``; ⚠️ on a point of no return), its link, and its manual equivalent (the code
blocks of the kind's own explanation) folded in a ``<details>`` block.

With a release, the titles and commands name it, only what applies to it is listed, and
the items already done are ticked from the world: the same read-only checks and journals
as `cockpit status` (``cockpit.status.read_status``); nothing is written anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cockpit.engine import Engine
from cockpit.explain import points_of_no_return, reversibility
from cockpit.model import Condition, Reversibility, Version
from cockpit.playbook import ActionSpec, StageSpec, TemplateError
from cockpit.prompts import fill_notation
from cockpit.states import State
from cockpit.status import StatusReport, read_status

WARNING = "⚠️"
"""The mark of a point of no return, as Kubo's own checklist writes it."""

TICKED = frozenset({State.DONE, State.SKIPPED})
"""What a ticked item stands for: nothing more to do (a skip says so beside it)."""

_CODE = re.compile(r"```([a-z]*)\n(.*?)```", re.DOTALL)


def marks(conditions: Iterable[Condition | str]) -> str:
    """``**FINAL** **not PATCH** `` for an item's or a stage's ``when`` (empty without); a
    condition expression is marked as written."""
    return "".join(f"**{condition!s}** " for condition in conditions)


def item_line(stage: StageSpec, spec: ActionSpec, title: str, *, ticked: bool = False,
              note: str = "", link: str | None = None) -> str:
    """``- [ ] ⚠️ **RC** Tag v0.30.0-rc1 … · [link](…) — `tag/tag-rc```: one action."""
    warning = f"{WARNING} " if reversibility(spec) is Reversibility.IRREVERSIBLE else ""
    extra = f" · [link]({link})" if link else ""
    extra += f" ({note})" if note else ""
    box = "x" if ticked else " "
    return f"- [{box}] {warning}{marks(spec.when)}{title}{extra} — `{stage.id}/{spec.id}`"


def manual_equivalent(engine: Engine, stage: StageSpec, spec: ActionSpec) -> list[str]:
    """The kind's manual commands for this action, folded, indented under its item."""
    try:
        action = engine.build(stage, spec)
    except TemplateError:
        return []
    if action is None:
        return []
    blocks = _CODE.findall(action.explain())
    if not blocks:
        return []
    out = ["", "  <details><summary>Manual equivalent</summary>", ""]
    for lang, code in blocks:
        out += [f"  ```{lang}", *(f"  {line}".rstrip() for line in code.rstrip().splitlines()),
                "  ```", ""]
    return [*out, "  </details>", ""]


def _link(spec: ActionSpec, found: str | None) -> str | None:
    """The world's link for the item where a check found one, else the playbook's own."""
    if found:
        return found
    given = spec.params.get("link")
    return given if isinstance(given, str) and given.startswith("http") else None


def _header(engine: Engine, report: StatusReport | None) -> list[str]:
    playbook, version = engine.playbook, engine.session.version
    if isinstance(version, Version):
        title = f"# {playbook.title} {version.tag} ({version.kind.value})"
    else:
        title = f"# {playbook.title}"
    lines = [title, "", playbook.description.strip(), "",
             "Marks: **RC**, **FINAL** and **PATCH** (or **not …**) say which releases an "
             f"item is for; {WARNING} marks a point of no return (irreversible: have the "
             "release reviewer check it first; the cockpit asks for a typed confirmation). "
             "Each item ends with its `stage/action` in the playbook "
             f"(`cockpit explain STAGE/ACTION`)."]
    if report is not None:
        done = sum(row.view.state in TICKED for row in report.rows
                   if row.view.state is not State.NOT_APPLICABLE)
        applies = sum(row.view.state is not State.NOT_APPLICABLE for row in report.rows)
        lines += ["", f"Ticked from the world by read-only checks (as `cockpit status`): "
                      f"{done} of the {applies} items for {version} are done."]
    return lines


def _stage_lines(engine: Engine, number: int, stage: StageSpec,
                 report: StatusReport | None) -> list[str]:
    version = engine.session.version
    views = {row.action: row.view for row in report.rows if row.stage == stage.id} \
        if report else {}
    lines = ["", f"## {number}. {marks(stage.when)}{stage.title}", "", stage.summary.strip(), ""]
    for spec in stage.actions:
        if not engine.applies(stage, spec):
            continue
        view = views.get(spec.id)
        ticked = view is not None and view.state in TICKED
        note = "skipped" if view is not None and view.state is State.SKIPPED else ""
        lines.append(item_line(stage, spec, fill_notation(spec.title, version), ticked=ticked,
                               note=note, link=_link(spec, view.link if view else None)))
        lines += manual_equivalent(engine, stage, spec)
    return lines


def _no_return_lines(engine: Engine) -> list[str]:
    found = points_of_no_return(engine)
    if not found:
        return []
    version = engine.session.version
    lines = ["", "## Points of no return", "",
             "Once applied, nothing undoes these; have the release reviewer check each one "
             "before it runs:", ""]
    lines += [f"{n}. {WARNING} {marks([*stage.when, *spec.when])}"
              f"{fill_notation(spec.title, version)} — `{stage.id}/{spec.id}`"
              for n, (stage, spec) in enumerate(found, 1)]
    return lines


def export_markdown(engine: Engine, report: StatusReport | None = None) -> str:
    """The playbook as a GitHub task list; ``report`` (a release's status) ticks what is
    done. Without a release every stage and action is listed, with its marks."""
    lines = _header(engine, report)
    for number, stage in enumerate(engine.playbook.stages, 1):
        if engine.applies(stage):
            lines += _stage_lines(engine, number, stage, report)
    lines += _no_return_lines(engine)
    return "\n".join(lines).rstrip() + "\n"


async def export_release(engine: Engine) -> str:
    """The checklist of ``engine``'s release (a read-only session), ticked from the world."""
    return export_markdown(engine, await read_status(engine))
