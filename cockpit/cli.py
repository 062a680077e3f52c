"""The ``cockpit`` command line: the TUI by default, headless verbs for scripts and CI.

The console script (``screens.main``) calls ``main`` with the TUI launchers: the core never
imports the UI. Without them (``python -m cockpit.cli``, tests) every verb but a TUI works.

Exit codes: 0 ok, 1 a stage failed or needs a human, 2 bad input (``cockpit.errors``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import cockpit
from cockpit.errors import BadInput, CockpitError
from cockpit.model import Outcome, Release, Version
from cockpit.playbook import Playbook, built_in_playbooks, load_playbook
from cockpit.prompts import AnswersPrompter, Prompter, TerminalPrompter
from cockpit.startup import resume_collection

if TYPE_CHECKING:
    from cockpit.ci.cli import CiLauncher
    from cockpit.engine import Engine, StageReport
    from cockpit.sandbox.inprocess import SandboxHandle
    from cockpit.sync.records import StageRecord
    from cockpit.sync.review import Reviewer

EXIT_OK, EXIT_NEEDS_HUMAN, EXIT_BAD_INPUT = 0, 1, 2
DEMO_RELEASE = "v0.30.0-rc1"
"""The release ``cockpit demo`` plays when none is asked for."""


class ReleaseLauncher(Protocol):
    """Runs the release TUI in ``mode`` until the driver quits; returns an exit code."""

    def __call__(self, playbook: Playbook, release: Release, mode: str = "drive", *,
                 solo: bool = False) -> int: ...


class ReviewLauncher(Protocol):
    """Runs the reviewer's screen (``screens.launch.launch_review``) until they quit."""

    async def __call__(self, reviewer: Reviewer, interval: float) -> int: ...


@dataclass(frozen=True)
class Launchers:
    """The TUIs, handed in by the UI side (``screens.main``): the core never imports them."""

    release: ReleaseLauncher
    """The release cockpit: drive, shadow or walkthrough (``screens.launch.launch``)."""
    ci: CiLauncher
    """The CI screen over an opened store (``screens.launch.launch_ci``)."""
    review: ReviewLauncher | None = None
    """The second maintainer's screen (``screens.launch.launch_review``)."""


PLAYBOOK_HELP = ("a playbook TOML file, or a built-in playbook's name: "
                 + ", ".join(built_in_playbooks()) + " (default: kubo)")

def _need_tui(launchers: Launchers | None) -> Launchers:
    if launchers is None:
        raise BadInput("this entry point is headless: the TUI starts from the `cockpit` "
                       "command (screens.main)")
    return launchers


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cockpit",
        description="Drive a many-service release as stages of explained, rerun-safe actions.",
    )
    parser.add_argument("--version", action="version", version=f"cockpit {cockpit.__version__}")
    parser.add_argument("--playbook", type=Path, help=PLAYBOOK_HELP)
    parser.add_argument("--release", dest="release_version", metavar="V",
                        help="the release to drive, e.g. v0.30.0-rc1")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--shadow", action="store_true",
                      help="watch a release driven elsewhere, read-only")
    mode.add_argument("--walkthrough", action="store_true",
                      help="explain every step without executing anything")
    parser.add_argument("--solo", action="store_true",
                        help="drive alone (one maintainer): a step that needs a second "
                             "maintainer's review asks you to type an acknowledgement instead "
                             "(journalled)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    explain = verbs.add_parser("explain", help="explain the playbook, a stage or an action")
    explain.add_argument("target", nargs="?", help="STAGE or STAGE/ACTION")
    _release_flag(explain, "fill in a concrete release, e.g. v0.30.0-rc1")

    plan = verbs.add_parser("plan", help="list what a release of version V will do")
    _release_flag(plan, "the release, e.g. v0.30.0-rc1 (required, but for --kinds)")
    plan.add_argument("--kinds", action="store_true",
                      help="which actions every kind of release runs (RC, final, patch, and "
                           "beta, alpha, post where the playbook has them): no release needed")

    export = verbs.add_parser("export", help="the playbook as a checklist document")
    export.add_argument("--markdown", action="store_true", required=True,
                        help="a GitHub task list (the only format so far)")
    _release_flag(export, "name this release and tick what is done (read-only checks)")
    export.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write it to FILE instead of standard output")

    init = verbs.add_parser("init", help="start a playbook from your markdown release "
                            "checklist (every item a by-hand step), or a starter for --repo")
    init.add_argument("--from", dest="checklist", type=Path, metavar="CHECKLIST.md",
                      help="a GitHub task list (e.g. RELEASE_ISSUE_TEMPLATE.md)")
    init.add_argument("--repo", default="", metavar="OWNER/REPO", help="the repository")
    init.add_argument("-o", "--output", type=Path, metavar="FILE",
                      help="where to write it (default: NAME.toml here)")
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    status = verbs.add_parser("status", help="check every action, read-only")
    _release_flag(status, "the release, e.g. v0.30.0-rc1 (required)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--watch", action="store_true",
                        help="follow the release on its tracking issue (read-only) until ^C")
    status.add_argument("--interval", type=float, metavar="S",
                        help="seconds between polls with --watch (default: settings)")
    status.add_argument("--one-at-a-time", action="store_true",
                        help="check each action alone, with its own requests (slower: to "
                             "compare with the default, which asks each question once)")

    run = verbs.add_parser("run", help="run stages (side by side where their needs allow)")
    run.add_argument("stage", nargs="+",
                     help="stage ids; each starts once the stages it needs (of those given) "
                          "are done")
    run.add_argument("--parallel", type=int, metavar="N",
                     help="at most N stages at once (default: settings, 2)")
    _release_flag(run, "the release, e.g. v0.30.0-rc1 (required)")
    run.add_argument("--yes", action="store_true",
                     help="answer every confirmation yes (and every prompt the answers file has not)")
    run.add_argument("--answers", type=Path, help="TOML/JSON file: prompt id → answer")
    run.add_argument("--steal", action="store_true",
                     help="take the stage over from the driver holding it (journalled)")
    run.add_argument("--solo", action="store_true",
                     help="one maintainer: a step that needs a second maintainer's review asks "
                          "you to type an acknowledgement instead (journalled)")

    review = verbs.add_parser("review", help="as the second maintainer: check a driver's "
                              "review request against facts computed here, and approve it")
    _release_flag(review, "the release, e.g. v0.30.0-rc1 (required)")
    review.add_argument("--approve", metavar="STAGE/ACTION",
                        help="approve this step's request (asks y/N); without it, list what "
                             "is pending, read-only")
    review.add_argument("--yes", action="store_true", help="answer the question yes")
    review.add_argument("--list", action="store_true",
                        help="print what is pending, side by side, instead of the screen")

    sandbox = verbs.add_parser("sandbox", help="serve the local sandbox world")
    from cockpit.sandbox.cli import add_arguments

    add_arguments(sandbox)

    demo = verbs.add_parser("demo", help="try a whole release against a local sandbox")
    demo.add_argument("--headless", action="store_true", help="no TUI: print the stage log")
    _release_flag(demo, f"the release to play (default: {DEMO_RELEASE}); a later one of "
                  "the v0.30 series (v0.30.0-rc2, v0.30.0, v0.30.1) releases the ones it "
                  "follows first, headless, in the same sandbox")
    demo.add_argument("--yes", action="store_true", help="answer every confirmation yes")
    demo.add_argument("--answers", type=Path, help="TOML/JSON file: prompt id → answer")
    demo.add_argument("--tls", action="store_true",
                      help="serve the sandbox over HTTPS, so the GitHub CLI (gh) can be "
                           "pointed at it: the export lines to paste are printed at start")
    demo.add_argument("--attach", choices=("shadow", "walkthrough", "status", "ci", "review"),
                      help="from a second terminal, follow the running demo's sandbox: a live "
                           "read-only shadow, a walkthrough, its `cockpit status` once, "
                           "the CI screen on the demo's CI store, or `cockpit review` as "
                           "the second maintainer (release-reviewer)")
    login, doctor = _add_account_verbs(verbs)
    from cockpit.ci.cli import add_ci_verb

    add_ci_verb(verbs)
    for sub in (explain, plan, export, status, run, review, demo, login, doctor):
        sub.add_argument("--playbook", type=Path, default=argparse.SUPPRESS,
                         help=PLAYBOOK_HELP)
    return parser


def _add_account_verbs(verbs: argparse._SubParsersAction[argparse.ArgumentParser]
                       ) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """``login``, ``logout`` (tokens in the system keyring) and ``doctor``."""
    from cockpit.secrets import SERVICES

    login = verbs.add_parser("login", help="keep a service token in the system keyring")
    login.add_argument("service", nargs="?", choices=SERVICES, help="default: github")
    login.add_argument("--stdin", action="store_true", help="read the token from stdin")
    login.add_argument("--no-verify", action="store_true",
                       help="store it without checking it against the service first")
    login.add_argument("--status", action="store_true",
                       help="list which services have a token and where it comes from")
    logout = verbs.add_parser("logout", help="remove a service token from the system keyring")
    logout.add_argument("service", choices=SERVICES)
    doctor = verbs.add_parser("doctor", help="check tokens, git identity, signing key, tools, "
                              "clock and rate limit; print the fix for each failure")
    _release_flag(doctor, "check only what this release needs")
    return login, doctor


def _release_flag(sub: argparse.ArgumentParser, help_text: str) -> None:
    """``--release V``, the same flag on every verb and the TUI. ``--version V`` stays as a
    hidden alias (it was the flag's name on the verbs; on ``cockpit`` itself ``--version``
    prints the program's version). SUPPRESS keeps ``cockpit --release V VERB`` working."""
    sub.add_argument("--release", dest="release_version", metavar="V",
                     default=argparse.SUPPRESS, help=help_text)
    sub.add_argument("--version", dest="release_version", default=argparse.SUPPRESS,
                     help=argparse.SUPPRESS)


def main(argv: Sequence[str] | None = None, *, launchers: Launchers | None = None) -> int:
    """Run one command; ``launchers`` start the TUIs (None: every verb but a TUI works)."""
    args = _parser().parse_args(argv)
    if args.verb is not None:
        resume_collection()  # the TUI resumes it after its first paint (see cockpit.startup)
    try:
        return _dispatch(args, launchers)
    except BadInput as exc:
        print(f"cockpit: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CockpitError as exc:  # our errors are sentences: a stop, not a traceback
        print(f"cockpit: {exc}", file=sys.stderr)
        return EXIT_NEEDS_HUMAN
    except KeyboardInterrupt:
        print("cockpit: interrupted; rerun the same command to resume safely", file=sys.stderr)
        return EXIT_NEEDS_HUMAN
    except BrokenPipeError:
        # The reader (`| head`) went away: not an error of ours.
        sys.stderr.close()
        return EXIT_OK


def _dispatch(args: argparse.Namespace, launchers: Launchers | None) -> int:
    if args.verb == "sandbox":
        from cockpit.sandbox.cli import main as sandbox_main

        return sandbox_main(args)
    if args.verb == "ci":
        from cockpit.ci.cli import run_ci

        return run_ci(args, launchers.ci if launchers else None)
    if args.verb == "init":
        return _init(args)
    if args.verb == "demo" and args.release_version is None:
        args.release_version = DEMO_RELEASE
    playbook = load_playbook(getattr(args, "playbook", None))
    # The playbook says how its versions are written (semver or PEP 440, which tag).
    version = playbook.parse_version(args.release_version) if args.release_version else None
    # Names are checked here, before any request: a typo costs no network round trip.
    if args.verb == "explain" and args.target:
        _check_target(playbook, args.target)
    if args.verb == "run":
        for stage_id in args.stage:
            _check_target(playbook, stage_id, actions=False)
        if args.parallel is not None and args.parallel < 1:
            raise BadInput(f"--parallel takes a number of stages, 1 or more, not {args.parallel}")
    if args.verb == "review" and args.approve:
        _check_target(playbook, args.approve)
        if "/" not in args.approve:
            raise BadInput(f"--approve takes STAGE/ACTION, not {args.approve!r}")
    if args.verb == "explain":
        return _explain(playbook, args.target, version)
    if args.verb == "export":
        return asyncio.run(_export(playbook, version, args.output))
    if args.verb in ("login", "logout"):
        from cockpit.login import run_verb

        return run_verb(args.verb, args.service, playbook, status=getattr(args, "status", False),
                        from_stdin=getattr(args, "stdin", False),
                        check=not getattr(args, "no_verify", False))
    if args.verb == "doctor":
        from cockpit.doctor import run_doctor

        code, table = asyncio.run(run_doctor(playbook, make_release(playbook, version)
                                             if version else None))
        print(table)
        return code
    if args.verb is None:
        return _tui(args, playbook, version, _need_tui(launchers))
    if args.verb == "plan" and args.kinds:
        from cockpit.explain import kinds_matrix

        print(kinds_matrix(_engine(playbook, version, read_only=True)))
        return EXIT_OK
    if version is None:
        raise BadInput(f"--release is required: pass --release {playbook.versions.notation}")
    if args.verb == "plan":
        return _plan(playbook, version)
    if args.verb == "status" and args.watch:
        from cockpit.sync.watch import watch

        try:
            return asyncio.run(watch(_engine(playbook, version, read_only=True),
                                     interval=args.interval, as_json=args.json))
        except KeyboardInterrupt:  # ^C is how a watch ends
            return EXIT_OK
    if args.verb == "status":
        return asyncio.run(_status(playbook, version, as_json=args.json,
                                   one_at_a_time=args.one_at_a_time))
    if args.verb == "run":
        prompter = _prompter(args)
        return asyncio.run(_run(playbook, version, args.stage, prompter, steal=args.steal,
                                playbook_path=getattr(args, "playbook", None), solo=args.solo,
                                parallel=args.parallel))
    if args.verb == "review":
        screen = None if args.approve or args.list or launchers is None else launchers.review
        return asyncio.run(_review(playbook, version, args.approve, _prompter(
            argparse.Namespace(answers=None, yes=args.yes)), screen=screen))
    if args.verb == "demo":
        return _demo(args, playbook, version, launchers)
    raise BadInput(f"unknown verb {args.verb}")


def _prompter(args: argparse.Namespace) -> Prompter:
    if args.answers:
        return AnswersPrompter.from_file(args.answers, yes=args.yes)
    if args.yes:
        return AnswersPrompter(yes=True)
    return TerminalPrompter()


def make_release(playbook: Playbook, version: Version, driver: str = "") -> Release:
    from cockpit.settings import Settings

    name = driver or Settings().driver or _git_user() or getpass.getuser()
    return Release(playbook=playbook.name, version=version, driver=name,
                   host=socket.gethostname())


def _git_user() -> str:
    import subprocess

    found = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                           check=False)
    return found.stdout.strip()


# -- names, explain / plan --------------------------------------------------------------


def _check_target(playbook: Playbook, target: str, *, actions: bool = True) -> None:
    """``STAGE`` (or ``STAGE/ACTION`` where ``actions``) must name one of the playbook's,
    else BadInput with the closest names: checked before any request is made."""
    stage_id, slash, action_id = target.partition("/")
    if slash and not actions:
        raise BadInput(f"{target!r}: this verb takes a stage, not STAGE/ACTION; "
                       f"did you mean {stage_id!r}?")
    stage = playbook.stage(stage_id)
    if stage is None:
        raise BadInput(_unknown("stage", stage_id, f"in playbook {playbook.name}",
                                [s.id for s in playbook.stages]))
    if action_id and stage.action(action_id) is None:
        raise BadInput(_unknown("action", action_id, f"in stage {stage_id!r}",
                                [a.id for a in stage.actions]))


def _unknown(what: str, name: str, where: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"no {what} {name!r} {where}{hint} ({what}s: {', '.join(known)})"


def _explain(playbook: Playbook, target: str | None, version: Version | None) -> int:
    from cockpit.explain import explain_action, explain_playbook, explain_stage

    session_engine = _engine(playbook, version, read_only=True)
    if target is None:
        print(explain_playbook(session_engine))
        return EXIT_OK
    stage_id, _, action_id = target.partition("/")
    stage = session_engine.stage(stage_id)  # the names were checked by _check_target
    spec = stage.action(action_id) if action_id else None
    if spec is None:
        print(explain_stage(session_engine, stage))
        return EXIT_OK
    print(explain_action(session_engine, stage, spec, where=True))
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from cockpit.checklist_import import init

    path, imported = init(args.checklist, args.repo, args.output, force=args.force)
    book = imported.playbook
    stages, actions = len(book.stages), book.action_count
    print(f"cockpit: wrote {path}: {stages} stage{'s' * (stages != 1)}, {actions} by-hand "
          f"action{'s' * (actions != 1)} ({imported.proposals} with a built-in kind proposed "
          "in a comment)\n"
          f"next: cockpit explain --playbook {path}\n"
          f"      cockpit run {book.stages[0].id} --playbook {path} --release vX.Y.Z",
          file=sys.stderr)
    return EXIT_OK


def _plan(playbook: Playbook, version: Version) -> int:
    from cockpit.explain import plan_text

    print(plan_text(_engine(playbook, version, read_only=True)))
    return EXIT_OK


async def _export(playbook: Playbook, version: Version | None, output: Path | None) -> int:
    from cockpit.export import export_markdown, export_release

    engine = _engine(playbook, version, read_only=True)
    try:
        text = await export_release(engine) if version else export_markdown(engine)
    finally:
        await engine.session.aclose()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"cockpit: wrote {output} ({text.count(chr(10))} lines)", file=sys.stderr)
    return EXIT_OK


def _engine(playbook: Playbook, version: Version | None, *, read_only: bool,
            prompter: Prompter | None = None) -> Engine:
    from cockpit.context import Session
    from cockpit.engine import Engine
    from cockpit.settings import Settings

    settings = Settings()
    release = make_release(playbook, version) if version else None
    session = Session(settings=settings, prompter=prompter or AnswersPrompter(),
                      release=release, read_only=read_only)
    return Engine(playbook, session)


# -- status / run ------------------------------------------------------------------------


async def _status(playbook: Playbook, version: Version, *, as_json: bool,
                  one_at_a_time: bool = False) -> int:
    from cockpit.status import read_status

    engine = _engine(playbook, version, read_only=True)
    try:
        report = await read_status(engine, one_at_a_time=one_at_a_time)
    finally:
        await engine.session.aclose()
    usage = engine.session.usage
    if as_json:
        print(json.dumps({"actions": [row.as_json() for row in report.rows],
                          "requests": usage.as_json()}, indent=2))
    else:
        print("\n".join(report.lines()))
        print(f"(this status cost {usage.summary()})")
    return EXIT_OK if report.complete else EXIT_NEEDS_HUMAN


def rerun_command(stage: str, version: Version, playbook_path: Path | None,
                  *extra: str) -> str:
    """The command that reruns ``stage``, with every flag that picks what it acts on: a hint
    without ``--playbook`` would, pasted, run the built-in playbook's stage of that name."""
    import shlex

    words = ["cockpit", "run", stage, "--release", str(version)]
    if playbook_path is not None:
        words += ["--playbook", str(playbook_path)]
    return shlex.join([*words, *extra])


def _print_summary_if_complete(engine: Engine, records: dict[str, StageRecord]) -> None:
    """Once every stage that applies is done (here or on other machines, as the journal
    says), the release's summary: stages, durations, drivers, links."""
    from cockpit.states import State, journal_state
    from cockpit.summary import render, rows_from_records

    playbook = engine.playbook
    applicable = [s for s in playbook.stages if engine.applies(s)]
    if not all(s.id in records and journal_state(records[s.id].status) in
               (State.DONE, State.SKIPPED, State.NOT_APPLICABLE) for s in applicable):
        return
    version = engine.session.version
    rows = rows_from_records([(s.id, s.title) for s in playbook.stages], records,
                             [s.id for s in playbook.stages if not engine.applies(s)])
    print("\n" + "\n".join(render(f"{playbook.title} {version}", rows)))


def _stopped(reports: list[StageReport], version: Version, playbook_path: Path | None,
             said: set[str]) -> bool:
    """Say how each stage that did not end well stopped (but those ``said`` already);
    whether any did."""
    blocked = [r.stage for r in reports if r.outcome is Outcome.BLOCKED]
    for report in reports:
        if report.outcome in (Outcome.DONE, Outcome.NOT_APPLICABLE, Outcome.BLOCKED) \
                or report.stage in said:
            continue
        print(f"\nstage {report.stage} stopped: {report.reason}\n"
              f"Fix it, then rerun `{rerun_command(report.stage, version, playbook_path)}`: "
              "finished actions are checked, not redone.", file=sys.stderr)
    if blocked:
        print(f"not started, as a stage they need stopped: {', '.join(blocked)}",
              file=sys.stderr)
    return any(r.outcome not in (Outcome.DONE, Outcome.NOT_APPLICABLE) for r in reports)


async def _run(playbook: Playbook, version: Version, stages: list[str],
               prompter: Prompter, *, steal: bool = False,
               playbook_path: Path | None = None, solo: bool = False,
               parallel: int | None = None) -> int:
    from cockpit.engine import StageReport
    from cockpit.local_journal import Journal
    from cockpit.schedule import StageScheduler
    from cockpit.services.http import ServiceError
    from cockpit.sync.driver import LeaseLost, NoTrackingIssue, StageHeld, SyncedRun
    from cockpit.sync.records import records_from_events
    from cockpit.terminal import TerminalPrinter

    engine = _engine(playbook, version, read_only=False, prompter=prompter)
    engine.solo = solo
    journal = Journal(engine.session.settings.state_dir, engine.release_key)
    engine.session.manual_confirmations |= journal.manual_confirmations()
    engine.session.skipped.update(journal.skipped())
    engine.bus.listen(journal.append)
    engine.bus.listen(TerminalPrinter(sys.stdout).print_event)
    sync: SyncedRun | None = None
    current = stages[0] if stages else ""
    try:
        try:
            sync = await SyncedRun.open(engine, _say)
        except NoTrackingIssue as exc:
            print(f"cockpit: {exc}\nstage {current} stopped: rerun "
                  f"`{rerun_command(current, version, playbook_path)}` (it looks again before "
                  "creating anything).", file=sys.stderr)
            return EXIT_NEEDS_HUMAN
        if sync is not None:
            await sync.reconcile(journal)
        opened, said = sync, set()

        async def run_one(stage_id: str) -> StageReport:
            nonlocal current
            current = stage_id
            try:
                return await (opened.run_stage(stage_id, steal=steal) if opened is not None
                              else engine.run_stage(stage_id))
            except LookupError as exc:
                raise BadInput(str(exc)) from None
            except (StageHeld, LeaseLost) as exc:
                again = rerun_command(stage_id, version, playbook_path)
                print(f"cockpit: {exc}\nrerun later: `{again}`, or take it over: "
                      f"`{again} --steal`", file=sys.stderr)
                said.add(stage_id)
                return StageReport(stage_id, Outcome.NEEDS_HUMAN, str(exc), ())

        limit = parallel or engine.session.settings.stages_side_by_side
        scheduler = StageScheduler(playbook.needs, run_one, limit=limit,
                                   note=lambda stage, line: _say(f"{stage}: {line}"))
        reports = await scheduler.run_all(stages)
        if _stopped(reports, version, playbook_path, said):
            return EXIT_NEEDS_HUMAN
        records = (sync.journal.builder.records if sync is not None
                   else records_from_events(engine.release_key, journal.events()))
        if sync is not None:  # "done" only once the journal on the tracking issue says so
            closing, sync = sync, None
            await closing.close()
        _print_summary_if_complete(engine, records)
        return EXIT_OK
    except ServiceError as exc:  # e.g. the journal's thread unreadable: a stop, not a crash
        print(f"cockpit: {exc}\nstage {current} stopped: nothing is lost, rerun "
              f"`{rerun_command(current, version, playbook_path)}` (finished actions are "
              "checked, not redone).", file=sys.stderr)
        return EXIT_NEEDS_HUMAN
    finally:
        if sync is not None:
            try:
                await sync.close()
            except ServiceError as exc:
                print(f"cockpit: could not bring the journal on the tracking issue up to date: "
                      f"{exc}", file=sys.stderr)
        await engine.session.aclose()


async def _review(playbook: Playbook, version: Version, approve: str | None,
                  prompter: Prompter, *, offer: bool = False,
                  screen: ReviewLauncher | None = None) -> int:
    """``cockpit review``: the second maintainer's side of a reviewed step. Its own session
    is read-only (nothing of the release is changed from here); only the approval is
    posted, through a client of its own."""
    from cockpit.secrets import find_token
    from cockpit.services.github import GitHubClient
    from cockpit.sync.review import Reviewer, ReviewRefused
    from cockpit.sync.thread import Thread, locate

    engine = _engine(playbook, version, read_only=True)
    target = locate(engine)
    if target is None:
        raise BadInput(f"playbook {playbook.name} has no tracking issue: there is nothing to "
                       "review on")
    session = engine.session
    gh = GitHubClient(session.settings.github_api_url, find_token("github"),
                      redact=session.redact)
    try:
        thread = Thread(gh, target)
        if await thread.find() is None:
            raise ReviewRefused(f"no review request pending for {engine.release_key}: its "
                                f"tracking issue \"{target.title}\" does not exist yet")
        reviewer = Reviewer(engine, thread, print)
        if screen is not None:
            return await screen(reviewer, session.settings.shadow_poll_seconds)
        if approve is None:
            pending = await reviewer.pending(show=not offer)
            if not pending:
                print(f"no review request pending for {engine.release_key}")
            steps = [f"{s.record.stage}/{s.record.action}" for s in pending] if offer else []
        else:
            steps = [approve]
        code = EXIT_OK
        for step in steps:
            code = max(code, await _approve(reviewer, step, prompter))
        return code
    finally:
        await gh.aclose()
        await session.aclose()


async def _approve(reviewer: Reviewer, target: str, prompter: Prompter) -> int:
    """One approval, asked y/N (``Reviewer.approve`` shows the facts side by side first)."""
    from cockpit.prompts import Confirm

    stage, _, action = target.partition("/")

    async def confirm(question: str, _facts: object) -> bool:
        answer = await prompter.ask(Confirm(id=f"review/{target}/approve", title="Approve",
                                            message=question))
        return answer.value is True

    posted = await reviewer.approve(stage, action, confirm)
    if posted is None:
        print(f"{target}: not approved, nothing was posted", file=sys.stderr)
        return EXIT_NEEDS_HUMAN
    print(f"approved: {posted.html_url}")
    return EXIT_OK


def _say(line: str) -> None:
    print(f"cockpit: {line}", file=sys.stderr, flush=True)


# -- TUI and demo ------------------------------------------------------------------------


def _tui(args: argparse.Namespace, playbook: Playbook, version: Version | None,
         launchers: Launchers) -> int:
    if version is None:
        raise BadInput(f"which release? pass --release {playbook.versions.notation} (or try "
                       "`cockpit demo`)")
    mode = "shadow" if args.shadow else "walkthrough" if args.walkthrough else "drive"
    if args.solo and mode != "drive":
        raise BadInput(f"--solo is for driving a release; --{mode} changes nothing, so it "
                       "needs no review")
    return launchers.release(playbook, make_release(playbook, version), mode=mode,
                             solo=args.solo)


def _demo_answers() -> AnswersPrompter:
    from importlib import resources

    source = resources.files("cockpit.playbooks").joinpath("kubo-demo-answers.toml")
    with resources.as_file(source) as path:
        return AnswersPrompter.from_file(path)


def _demo(args: argparse.Namespace, playbook: Playbook, version: Version,
          launchers: Launchers | None) -> int:
    import tempfile

    from cockpit.demo import demo_environment, gh_exports, recorded
    from cockpit.demo_history import releases_before

    if args.attach:
        return _attach(args.attach, getattr(args, "playbook", None), launchers)
    if not args.headless:
        _need_tui(launchers)  # said before the sandbox starts, not after
    # The built-in playbook's world is seeded: say what it cannot do before starting it
    # (NotInTheDemoWorld is bad input).
    before = releases_before(version) if getattr(args, "playbook", None) is None else []
    if args.headless:
        # Not for the TUI: after a hangup textual's input thread spins on the dead
        # terminal and keeps the process alive once the cleanup has run.
        _end_on_hangup()
    with tempfile.TemporaryDirectory(prefix="cockpit-demo-") as home, \
            demo_environment(Path(home), tls=args.tls) as demo, \
            recorded(demo, version.tag, getattr(args, "playbook", None)) as record:
        print(f"sandbox: {demo.base_url} (a local world; nothing leaves this machine)\n"
              "follow it from another terminal: cockpit demo --attach shadow "
              "(or --attach walkthrough, --attach status)", file=sys.stderr)
        if args.tls:
            print("\n".join(gh_exports(demo)), file=sys.stderr)
        with _demo_reviewer(playbook, [*before, version], Path(home), headless=args.headless):
            return _demo_releases(args, playbook, before, version, demo, Path(home), record,
                                  launchers)


def _demo_reviewer(playbook: Playbook, versions: list[Version], home: Path, *,
                   headless: bool) -> contextlib.AbstractContextManager[object]:
    """The demo's stand-in second maintainer (see ``cockpit.demo_reviewer``); it waits
    ``COCKPIT_DEMO_REVIEWER_SECONDS`` (2 headless, 60 in the TUI) for you to approve first."""
    import os

    from cockpit.demo_reviewer import LOGIN, StandInReviewer

    delay = float(os.environ.get("COCKPIT_DEMO_REVIEWER_SECONDS", 2.0 if headless else 60.0))
    os.environ["COCKPIT_REVIEW_POLL_SECONDS"] = "1"  # the demo's environment, restored after
    _say(f"demo: the tag needs a second maintainer: {LOGIN} approves it {delay:.0f} s after "
         "it is asked, unless you do first from another terminal: cockpit demo --attach review")
    return StandInReviewer(playbook, versions, os.environ["COCKPIT_REVIEWER_TOKEN"],
                           home / "reviewer-work", _say if headless else _quiet, delay,
                           quick=frozenset(versions[:-1]))


def _quiet(_line: str) -> None:
    """Nothing printed over a running TUI."""


def _demo_releases(args: argparse.Namespace, playbook: Playbook, before: list[Version],
                   version: Version, demo: SandboxHandle, home: Path, record: Path,
                   launchers: Launchers | None) -> int:
    """The demo's releases, in its sandbox: the ones ``version`` follows, then it."""
    import atexit
    import functools

    from cockpit.demo import discard

    built_in = getattr(args, "playbook", None) is None
    if built_in:
        code = _demo_history(playbook, before, version, demo, home)
        if code != EXIT_OK:
            return code
    if args.headless:
        stages = [s.id for s in playbook.stages]
        prompter = _prompter(args)
        if isinstance(prompter, AnswersPrompter) and built_in:
            prompter = prompter.with_defaults(_demo_answers())
        code = asyncio.run(_run(playbook, version, stages, prompter,
                                playbook_path=getattr(args, "playbook", None)))
        if code != EXIT_OK:
            _say("the demo's sandbox is discarded when the demo ends: run `cockpit demo` "
                 "again to start over (a real release resumes with the command above)")
        return code
    # A hung-up TUI leaves by os._exit after running the exit functions (textual's
    # shutdown can wait forever on a dead terminal): this is how it cleans up then.
    abandon = functools.partial(discard, demo, home, record)
    atexit.register(abandon)
    try:
        return _need_tui(launchers).release(playbook, make_release(playbook, version, "demo"),
                                            mode="drive")
    finally:
        atexit.unregister(abandon)


def _attach(mode: str, playbook_path: Path | None, launchers: Launchers | None) -> int:
    """``cockpit demo --attach MODE``: open MODE on the newest running demo's sandbox."""
    from cockpit.demo import attached, running_demo

    record = running_demo()  # NoDemoRunning is bad input
    path = playbook_path or (Path(record.playbook) if record.playbook else None)
    playbook = load_playbook(path)
    version = playbook.parse_version(record.release)
    _say(f"attached to the demo of {version} (pid {record.pid}) at {record.base_url}")
    with attached(record):
        if mode == "status":
            return asyncio.run(_status(playbook, version, as_json=False))
        if mode == "review":  # as the demo's second maintainer, with its token
            import os

            from cockpit.secrets import STORE

            with STORE.pinned("github", os.environ["COCKPIT_REVIEWER_TOKEN"]):
                return asyncio.run(_review(playbook, version, None, TerminalPrompter(),
                                           offer=True,
                                           screen=launchers.review if launchers else None))
        if mode == "ci":  # the demo's own CI store (its record carries COCKPIT_CI_DATABASE)
            from cockpit.ci.cli import open_screen

            return open_screen(None, launchers.ci if launchers else None)
        return _need_tui(launchers).release(playbook, make_release(playbook, version), mode=mode)


def _end_on_hangup() -> None:
    """A closed terminal or a ``kill`` ends a headless demo like ^C does: its sandbox stops, its
    throwaway GPG agent is told to exit and its temporary home is removed (by default
    SIGHUP and SIGTERM end the process on the spot, leaving all three behind)."""
    import signal

    def end(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, end)


def _demo_history(playbook: Playbook, before: list[Version], version: Version,
                  demo: SandboxHandle, home: Path) -> int:
    """Run, in the demo's sandbox, the releases ``version`` follows (see demo_history),
    and a stand-in maintainer's by-hand work for each, ``version`` included."""
    import contextlib

    from cockpit.demo_history import stand_in_work

    def stand_in(release: Version) -> None:
        done = stand_in_work(demo, release)
        if done:
            _say(f"demo, {release}: a stand-in maintainer {done}")

    stages = [s.id for s in playbook.stages]
    for earlier in before:
        stand_in(earlier)
        _say(f"demo: {version} follows {earlier}: releasing {earlier} first in this sandbox "
             "(a minute or two)")
        log = home / f"release-{earlier}.log"
        with log.open("w") as out, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(out):
            code = asyncio.run(_run(playbook, earlier, stages,
                                    AnswersPrompter(yes=True).with_defaults(_demo_answers())))
        if code != EXIT_OK:
            tail = log.read_text(errors="replace").splitlines()[-15:]
            _say(f"demo: releasing {earlier} stopped, so {version} cannot follow it:\n"
                 + "\n".join(tail))
            return code
        _say(f"demo: {earlier} released")
    stand_in(version)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
