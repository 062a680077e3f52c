"""``cockpit ci …``: the CI-health verbs (receiver, gap repair, alerts); alone, the CI screen.

Each verb's work lives in its own module; this one only declares the arguments, so
``cockpit ci --help`` is the one place a user reads how the pieces fit together. The CI
screen is the UI's: it is handed in as a ``CiLauncher`` (the core never imports screens).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cockpit.ci.store import Store


class CiLauncher(Protocol):
    """Runs the CI screen over an opened store until the user quits; returns an exit code."""

    def __call__(self, store: Store, *, window: str = "7d",
                 repository: str | None = None) -> int: ...

SETUP = """\
Set-up for a real GitHub App (or an organization webhook):
  1. Run the receiver where GitHub can reach it (behind your HTTPS proxy):
       cockpit login ci-webhook          # the webhook secret, into the system keyring
       cockpit ci serve --database postgresql://ci@db/ci --host 0.0.0.0 --port 8780
  2. In the App's settings (or the organization's Settings → Webhooks): Webhook URL
     https://YOUR-HOST/webhook, content type application/json, the same secret, and
     subscribe to the events "Workflow runs" and "Workflow jobs" (also "Check runs"
     and "Check suites" if you want them stored). Permission: Actions: read-only.
  3. Fill what webhooks missed (GitHub does not retry a failed delivery):
       cockpit ci sync --repo OWNER/REPO --since 30d
  4. Alerts: cockpit ci alerts (rules: --rules FILE, defaults built in).
  5. Look: cockpit ci (the CI screen; from the release cockpit, the key C).
Without --database the store is an SQLite file under the user data directory.
"""


def add_ci_verb(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ci = verbs.add_parser(
        "ci", help="CI health: receive GitHub Actions webhooks, repair gaps, alerts",
        description="The health of the release repositories' GitHub Actions: webhooks "
                    "stored raw, durations, queue time, success rate, runner kind, alerts.",
        epilog=SETUP, formatter_class=argparse.RawDescriptionHelpFormatter)
    ci.add_argument("--database", dest="ci_database", metavar="URL",
                    help="with no CI_VERB: the store the CI screen reads (sqlite:///PATH or "
                         "postgresql://USER@HOST/DB; default: the embedded SQLite file, or "
                         "COCKPIT_CI_DATABASE); before a CI_VERB: that verb's store")
    ci.add_argument("--window", choices=("1d", "7d", "30d"), default="7d",
                    help="with no CI_VERB: the CI screen's time window (default: 7d; w changes it)")
    ci.add_argument("--repo", dest="ci_repo", metavar="OWNER/REPO",
                    help="with no CI_VERB: show this repository only (p changes it)")
    sub = ci.add_subparsers(dest="ci_verb", metavar="CI_VERB", required=False,
                            help="with none: the CI screen (a full-screen view of the store)")

    serve = sub.add_parser("serve", help="receive signed webhooks into the store")
    _database_flag(serve)
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int, default=8780, help="default: 8780 (0: any free)")
    serve.add_argument("--rules", metavar="FILE", help="alert rules TOML (default: built in)")

    sync = sub.add_parser(
        "sync", help="fill what webhooks missed, from the REST API",
        description="Read the repositories' workflow runs and jobs through the REST API and "
                    "store what webhooks missed (marked as from the API; never a duplicate); "
                    "report the runs no webhook told of. The token needs Actions: read; "
                    "--hook/--org-hook need admin rights on the webhook. GitHub keeps "
                    "deliveries for about 3 days: redeliver soon.",
        epilog="exit codes: 0 done, 1 a GitHub or store error, 2 bad input or no token, "
               "3 stopped at the rate budget's reserve (rerun after the reset to continue)")
    _database_flag(sync)
    sync.add_argument("--repo", action="append", required=True, metavar="OWNER/REPO",
                      help="a repository to read (repeat for more)")
    sync.add_argument("--since", default="30d", metavar="AGE",
                      help="how far back: 30d, 12h, 90m (default: 30d)")
    sync.add_argument("--hook", type=int, metavar="ID",
                      help="also redeliver the failed deliveries of this repository webhook")
    sync.add_argument("--org-hook", metavar="ORG:ID",
                      help="also redeliver the failed deliveries of this organization webhook")
    sync.add_argument("--app", action="store_true",
                      help="also redeliver the GitHub App's failed deliveries (an App JWT in "
                           "COCKPIT_CI_APP_JWT: the cockpit does not mint JWTs, make one from "
                           "the App's private key)")

    alerts = sub.add_parser("alerts", help="list firing and resolved alerts")
    _database_flag(alerts)
    alerts.add_argument("--rules", metavar="FILE", help="alert rules TOML (default: built in)")
    alerts.add_argument("--evaluate", action="store_true",
                        help="evaluate the rules now (and notify) before listing")
    alerts.add_argument("--json", action="store_true", help="machine-readable output")

    report = sub.add_parser("report", help="the facts as text: Markdown for a weekly post, "
                                           "or JSON for a CI job")
    _database_flag(report)
    report.add_argument("--since", default="7d", metavar="AGE",
                        help="how far back: 7d, 24h, 2w (default: 7d)")
    report.add_argument("--format", choices=("markdown", "json"), default="markdown",
                        help="default: markdown")


def _database_flag(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--database", metavar="URL",
                     help="sqlite:///PATH or postgresql://USER@HOST/DB "
                          "(default: the embedded SQLite file; or COCKPIT_CI_DATABASE)")


def run_ci(args: argparse.Namespace, screen: CiLauncher | None) -> int:
    """Exit 2 for a database URL the cockpit cannot read, 1 when the store is unreachable.
    ``screen`` runs the CI screen (None: this command line has no UI)."""
    import sys

    from cockpit.ci.store import BadDatabaseURL, StoreError

    try:
        return _run(args, screen)
    except BadDatabaseURL as exc:
        print(f"cockpit ci: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"cockpit ci: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, screen: CiLauncher | None) -> int:
    if getattr(args, "ci_database", None) and not getattr(args, "database", None):
        args.database = args.ci_database  # `cockpit ci --database URL serve` means that store
    if args.ci_verb is None:
        return _screen(args, screen)
    if args.ci_verb == "serve":
        from cockpit.ci.receiver import serve_command

        return serve_command(args)
    if args.ci_verb == "sync":
        from cockpit.ci.sync import sync_command

        return sync_command(args)
    if args.ci_verb == "report":
        from cockpit.ci.report import report_command

        return report_command(args)
    from cockpit.ci.alerts import alerts_command

    return alerts_command(args)


def _screen(args: argparse.Namespace, screen: CiLauncher | None) -> int:
    return open_screen(getattr(args, "database", None), screen, window=args.window,
                       repository=args.ci_repo)


def open_screen(url: str | None, screen: CiLauncher | None, *, window: str = "7d",
                repository: str | None = None) -> int:
    """The CI screen over ``url`` (else ``COCKPIT_CI_DATABASE``, else the embedded file). The
    store is opened first, so a bad URL or an unreachable database is a message and an exit
    code, not a screen that says so."""
    import os

    from cockpit.ci.store import open_store
    from cockpit.errors import BadInput

    if screen is None:
        raise BadInput("the CI screen needs the `cockpit` command (this entry point is headless)")

    store = open_store(url or os.environ.get("COCKPIT_CI_DATABASE") or None)
    try:
        from cockpit.startup import pause_collection

        # As for the release TUI: no cyclic collection during start-up; the screen resumes
        # it after its first paint.
        pause_collection()
        return screen(store, window=window, repository=repository)
    finally:
        store.close()
