"""Which stage needs which: the order a release's stages may run in, and what may overlap.

A stage's ``needs`` names the stages that must be complete before it starts; a stage that
says nothing needs the one before it in the file, so a playbook without ``needs`` runs in
file order exactly as before. Two stages may run side by side only when neither needs the
other, directly or through others. Plain functions over ``{stage: [needed stages]}``, so
the playbook's validation, the engine's scheduler, the plan and the UI share one rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Needs = Mapping[str, Sequence[str]]
"""Stage id → the ids it needs directly, for every stage, in playbook order."""


def resolve(stages: Sequence[tuple[str, Sequence[str] | None]]) -> dict[str, list[str]]:
    """Each stage's direct needs: the declared ones, else the stage before it (none for
    the first)."""
    out: dict[str, list[str]] = {}
    previous: str | None = None
    for stage_id, declared in stages:
        out[stage_id] = list(declared) if declared is not None else (
            [previous] if previous is not None else [])
        previous = stage_id
    return out


def find_cycle(needs: Needs) -> list[str] | None:
    """A cycle as ``[a, b, c, a]`` (a needs b needs c needs a), or None. Needs that name no
    stage are ignored (they are reported on their own)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(stage: str) -> list[str] | None:
        state[stage] = 1
        path.append(stage)
        for need in needs.get(stage, ()):
            if need not in needs:
                continue
            if state.get(need) == 1:
                return [*path[path.index(need):], need]
            if need not in state and (found := visit(need)) is not None:
                return found
        path.pop()
        state[stage] = 2
        return None

    for stage in needs:
        if stage not in state and (found := visit(stage)) is not None:
            return found
    return None


def ancestors(needs: Needs, stage: str) -> set[str]:
    """Every stage ``stage`` needs, directly or through others."""
    seen: set[str] = set()
    todo = list(needs.get(stage, ()))
    while todo:
        one = todo.pop()
        if one not in seen and one in needs:
            seen.add(one)
            todo.extend(needs[one])
    return seen


def waves(needs: Needs) -> list[list[str]]:
    """The stages in dependency order, grouped: each wave needs only earlier waves, so
    the stages of one wave may run side by side. Playbook order within a wave."""
    placed: dict[str, int] = {}
    for stage in _topological(needs):
        placed[stage] = 1 + max((placed[n] for n in needs[stage] if n in placed), default=-1)
    out: list[list[str]] = [[] for _ in range(max(placed.values(), default=-1) + 1)]
    for stage in needs:  # playbook order
        out[placed[stage]].append(stage)
    return out


def _topological(needs: Needs) -> list[str]:
    done: set[str] = set()
    order: list[str] = []

    def visit(stage: str) -> None:
        if stage in done:
            return
        done.add(stage)
        for need in needs[stage]:
            if need in needs:
                visit(need)
        order.append(stage)

    for stage in needs:
        visit(stage)
    return order
