"""Alerts on both stores: each rule fires once and resolves once, also with two evaluators;
notifications reach a real (sandbox) GitHub, Matrix and Discord over loopback HTTP, once; a
broken rules file is a clear error (exit 2); ``cockpit ci alerts`` lists, also as JSON; the
loop the receiver runs evaluates on a poke."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cockpit.ci import alerts
from cockpit.ci.alerts import (
    AlertLoop,
    NearTimeoutRule,
    Notifier,
    NotifyConfig,
    OutageRule,
    QueueRule,
    RuleSet,
    StuckRule,
    SuccessRateRule,
    evaluate,
    load_rules,
    notify_pending,
)
from cockpit.ci.store import Store, open_store
from cockpit.ci.timeouts import INSERT_TIMEOUT
from cockpit.sandbox.seed import CHATTER_ALIAS, CHATTER_ROOM
from cockpit.sandbox.testing import SandboxHandle
from tests.ci import payloads as p

MakeStore = Callable[[str], Store]
NOW = int(datetime(2026, 12, 10, 12, 0, tzinfo=UTC).timestamp())
HOUR = 3600
WEB = "https://github.example"
REPO = "acme/widgets"


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def add_run(store: Store, created: float, conclusion: str = "success", *, repo: str = REPO,
            workflow: str = "CI", minutes: float = 5, sha: str | None = None) -> int:
    """A run requested and completed, delivered when it happened."""
    run_id = p.next_id()
    common: dict[str, Any] = {"run_id": run_id, "repo": repo, "workflow_name": workflow,
                              "created_at": at(created), "run_started_at": at(created)}
    if sha:
        common["head_sha"] = sha
    store.ingest(p.run_delivery("requested", **common, received_at=at(created)))
    done = created + minutes * 60
    store.ingest(p.run_delivery("completed", **common, conclusion=conclusion,
                                updated_at=at(done), received_at=at(done)))
    return run_id


def add_job(store: Store, run_id: int, created: float, *, queue: float | None = 60,
            minutes: float | None = 3, name: str = "build", labels: tuple[str, ...] =
            p.HOSTED_LABELS, sha: str | None = None, repo: str = REPO) -> int:
    """A job: queued; taken after ``queue`` s (None: still queued); done after ``minutes``."""
    job_id = p.next_id()
    common: dict[str, Any] = {"job_id": job_id, "run_id": run_id, "repo": repo, "name": name,
                              "labels": labels, "created_at": at(created)}
    if sha:
        common["head_sha"] = sha
    store.ingest(p.job_delivery("queued", **common, received_at=at(created)))
    if queue is not None:
        started = created + queue
        store.ingest(p.job_delivery("in_progress", **common, started_at=at(started),
                                    received_at=at(started)))
        if minutes is not None:
            store.ingest(p.job_delivery("completed", **common, started_at=at(started),
                                        completed_at=at(started + minutes * 60),
                                        received_at=at(started + minutes * 60)))
    return job_id


def rows(store: Store) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM alerts ORDER BY id")


def only(*rules: Any, notify: NotifyConfig | None = None) -> RuleSet:
    return RuleSet(tuple(rules), notify or NotifyConfig(), "test")


RATE = SuccessRateRule(name="success-rate", metric="success_rate", min_runs=5)


def failing_week(store: Store, failures: int = 6, successes: int = 6, now: int = NOW) -> None:
    for i in range(failures + successes):
        add_run(store, now - (i + 1) * 6 * HOUR, "failure" if i < failures else "success")


_moments = itertools.count(1)


def fresh_now() -> int:
    """A moment of its own for a test telling the module's shared sandbox."""
    return NOW + 30 * 86400 * next(_moments)


# -- firing and resolving ----------------------------------------------------------------------


def test_fires_once_and_resolves_once(store: Store) -> None:
    failing_week(store)
    first = evaluate(store, only(RATE), NOW, web_url=WEB)
    assert [(a.rule, a.scope) for a in first.fired] == [("success-rate", f"{REPO}/CI")]
    fired = first.fired[0]
    assert fired.facts["success_rate"] == 0.5 and fired.facts["judged"] == 12
    assert "50%" in fired.summary and fired.facts["link"].startswith("https://github.com/")
    assert not first.resolved
    again = evaluate(store, only(RATE), NOW + 60, web_url=WEB)
    assert not again and len(rows(store)) == 1

    for i in range(40):  # the rate recovers: 46 of 52
        add_run(store, NOW + 61 + i)
    later = NOW + 3 * HOUR
    cleared = evaluate(store, only(RATE), later, web_url=WEB)
    assert [a.id for a in cleared.resolved] == [fired.id] and not cleared.fired
    resolved = cleared.resolved[0]
    assert resolved.resolved_at == later
    assert resolved.facts["resolution"]["success_rate"] == pytest.approx(46 / 52)
    assert resolved.facts["success_rate"] == 0.5  # what it fired with stays
    assert not evaluate(store, only(RATE), later + 60, web_url=WEB)
    assert [(r["resolved_at"] is not None) for r in rows(store)] == [True]


def test_a_drop_against_the_week_before_fires_above_the_floor(store: Store) -> None:
    for i in range(10):  # the week before: all green
        add_run(store, NOW - 8 * 86400 - i * HOUR)
    for i in range(10):  # this week: 8 of 10, above the 0.7 floor, 20 points down
        add_run(store, NOW - (i + 1) * HOUR, "failure" if i < 2 else "success")
    rule = SuccessRateRule(name="rate", metric="success_rate", threshold=0.7, drop=0.15,
                           min_runs=5)
    fired = evaluate(store, only(rule), NOW, web_url=WEB).fired
    assert len(fired) == 1
    assert fired[0].facts["previous_success_rate"] == 1.0
    assert "down 20 points" in fired[0].summary
    assert not evaluate(store, only(rule.model_copy(update={"drop": 0.25})), NOW,
                        web_url=WEB).fired  # a smaller drop than asked: quiet


def test_two_evaluators_at_once_fire_once(store_url: str, make_store: MakeStore) -> None:
    seed = make_store(store_url)
    failing_week(seed)
    stores = [make_store(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    results: list[alerts.Changes] = []

    def run(store: Store) -> None:
        barrier.wait()
        results.append(evaluate(store, only(RATE), NOW, web_url=WEB))

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(len(r.fired) for r in results) == 1
    assert len(rows(seed)) == 1


def test_a_stale_evaluator_neither_fires_nor_resolves_twice(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race made deterministic: an evaluator that read the open alerts before another
    one fired (or resolved) writes nothing, thanks to the partial unique index and the
    ``WHERE resolved_at IS NULL`` update."""
    failing_week(store)
    assert evaluate(store, only(RATE), NOW, web_url=WEB).fired
    with monkeypatch.context() as patch:
        patch.setattr(alerts, "open_alerts", lambda store: [])
        assert not evaluate(store, only(RATE), NOW + 1, web_url=WEB).fired
    assert len(rows(store)) == 1

    stale = alerts.open_alerts(store)
    for i in range(40):
        add_run(store, NOW + 10 + i)
    assert evaluate(store, only(RATE), NOW + HOUR, web_url=WEB).resolved
    with monkeypatch.context() as patch:
        patch.setattr(alerts, "open_alerts", lambda store: stale)
        assert not evaluate(store, only(RATE), NOW + 2 * HOUR, web_url=WEB).resolved
    assert [r["resolved_at"] for r in rows(store)] == [NOW + HOUR]


def test_webhook_outage(store: Store) -> None:
    rule = OutageRule(name="outage", metric="outage", hours=6, threshold=2)
    for i in range(60):  # ~8.6 runs a day for a week, the last one 7 hours ago
        add_run(store, NOW - 7 * HOUR - i * 2.8 * HOUR)
    for i in range(3):  # a quiet repository: 3 runs a week is not a reason to expect one
        add_run(store, NOW - 20 * HOUR - i * 40 * HOUR, repo="acme/quiet")
    fired = evaluate(store, only(rule), NOW, web_url=WEB).fired
    assert [a.scope for a in fired] == [REPO]
    facts = fired[0].facts
    assert facts["silent_seconds"] == pytest.approx(7 * HOUR - 5 * 60, abs=1)
    assert facts["expected_runs"] >= 2 and "cockpit ci sync" in facts["summary"]
    # Gap repair storing runs from the API is not a webhook: still out.
    store.ingest(p.run_delivery("completed", repo=REPO, source="api", received_at=at(NOW + 50),
                                created_at=at(NOW - 3 * HOUR)))
    assert not evaluate(store, only(rule), NOW + 60, web_url=WEB)
    # A webhook arrives: resolved.
    store.ingest(p.job_delivery("queued", repo=REPO, received_at=at(NOW + 100)))
    assert [a.scope for a in evaluate(store, only(rule), NOW + 120, web_url=WEB).resolved] == [REPO]


def test_a_job_stuck_in_the_queue(store: Store) -> None:
    rule = StuckRule(name="stuck", metric="stuck", minutes=30)
    run_id = add_run(store, NOW - 2 * HOUR)
    add_job(store, run_id, NOW - 40 * 60, queue=None, labels=p.SELF_HOSTED_LABELS, name="gpu")
    add_job(store, run_id, NOW - 10 * 60, queue=None, name="fresh")  # not long enough yet
    add_job(store, run_id, NOW - 3 * HOUR, queue=20)  # taken: fine
    fired = evaluate(store, only(rule), NOW, web_url=WEB).fired
    assert [a.scope for a in fired] == [f"{REPO}/CI/gpu"]
    assert fired[0].facts["labels"] == sorted(p.SELF_HOSTED_LABELS)
    assert fired[0].facts["runner_kinds"] == ["self-hosted"]
    assert fired[0].facts["link"].endswith(f"/job/{fired[0].facts['job_ids'][0]}")
    # A runner takes it: resolved, and "fresh" has now waited long enough to fire.
    job_id = fired[0].facts["job_ids"][0]
    store.ingest(p.job_delivery("in_progress", job_id=job_id, run_id=run_id, repo=REPO,
                                name="gpu", labels=p.SELF_HOSTED_LABELS,
                                created_at=at(NOW - 40 * 60), started_at=at(NOW + 60)))
    changes = evaluate(store, only(rule), NOW + 25 * 60, web_url=WEB)
    assert [a.scope for a in changes.resolved] == [f"{REPO}/CI/gpu"]
    assert [a.scope for a in changes.fired] == [f"{REPO}/CI/fresh"]


def test_jobs_near_their_timeout(store: Store) -> None:
    rule = NearTimeoutRule(name="near-timeout", metric="near_timeout")
    sha = p.sha("creep")
    store.executemany(INSERT_TIMEOUT, [
        {"repository": REPO, "head_sha": sha, "workflow_path": ".github/workflows/ci.yml",
         "job_name": name, "timeout_minutes": 20} for name in ("test", "build")])
    run_id = add_run(store, NOW - 5 * HOUR, sha=sha)
    add_job(store, run_id, NOW - 5 * HOUR, minutes=19, name="test (ubuntu, 3.12)", sha=sha)
    add_job(store, run_id, NOW - 5 * HOUR, minutes=12, name="build", sha=sha)
    other = add_run(store, NOW - 4 * HOUR)  # its file was never read: not judged
    add_job(store, other, NOW - 4 * HOUR, minutes=19.5, name="test (ubuntu, 3.12)")
    fired = evaluate(store, only(rule), NOW, web_url=WEB).fired
    assert [a.scope for a in fired] == [f"{REPO}/CI/test (ubuntu, 3.12)"]
    facts = fired[0].facts
    assert (facts["jobs"], facts["timeout_minutes"], facts["longest"]) == (1, 20, 19 * 60)
    assert facts["unjudged_jobs_in_window"] == 1
    # A day later the job is out of the window: resolved.
    assert evaluate(store, only(rule), NOW + 86400, web_url=WEB).resolved


def test_queue_p90_over_ten_minutes(store: Store) -> None:
    rule = QueueRule(name="queue", metric="queue_p90", min_jobs=5)
    run_id = add_run(store, NOW - HOUR + 60)
    for i, queue in enumerate([30, 40, 60, 90, 120, 200, 300, 700, 900, 1200]):
        labels = p.SELF_HOSTED_LABELS if queue >= 700 else p.HOSTED_LABELS
        add_job(store, run_id, NOW - 50 * 60 + i, queue=queue, labels=labels, name=f"j{i}")
    fired = evaluate(store, only(rule), NOW, web_url=WEB).fired
    assert [a.scope for a in fired] == [f"{REPO}/CI"]
    facts = fired[0].facts
    assert facts["queue_p90"] == 900  # nearest rank: the 9th of 10
    assert facts["runner_kinds"]["self-hosted"]["queue_p90"] == 1200
    assert facts["runner_kinds"]["github-hosted"]["queue_p90"] == 300
    assert not evaluate(store, only(rule.model_copy(update={"threshold": 1000.0})), NOW,
                        web_url=WEB).fired


def test_scope_globs_pick_what_a_rule_judges(store: Store) -> None:
    failing_week(store)
    failing_week_elsewhere = [add_run(store, NOW - (i + 1) * HOUR, "failure", repo="other/repo")
                              for i in range(6)]
    assert failing_week_elsewhere
    acme = RATE.model_copy(update={"scope": "acme/*"})
    assert [a.scope for a in evaluate(store, only(acme), NOW, web_url=WEB).fired] == [
        f"{REPO}/CI"]
    assert alerts.scope_matches("acme/widgets", "acme/widgets/CI/build")
    assert alerts.scope_matches("*/CI", "acme/widgets/CI")
    assert not alerts.scope_matches("acme/widgets", "acme/widgets-2/CI")
    # Narrowing the scope resolves what is no longer judged.
    narrowed = RATE.model_copy(update={"scope": "acme/gadgets"})
    assert [a.scope for a in evaluate(store, only(narrowed), NOW, web_url=WEB).resolved] == [
        f"{REPO}/CI"]


# -- rules files -------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_rules_file_merges_with_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, """
[notify]
github_repo = "acme/ci-health"
discord = true

[[rules]]
name = "queue-p90"
metric = "queue_p90"
threshold = "5m"
window = "2h"
scope = "acme/*"

[[rules]]
name = "stuck-job"
metric = "stuck"
enabled = false

[[rules]]
name = "gpu-stuck"
metric = "stuck"
minutes = 10
scope = "acme/widgets/*/gpu*"
""")
    rules = load_rules(path)
    by_name = {rule.name: rule for rule in rules.rules}
    assert set(by_name) == {"success-rate", "queue-p90", "near-timeout", "webhook-outage",
                            "gpu-stuck"}
    queue = by_name["queue-p90"]
    assert isinstance(queue, QueueRule) and (queue.threshold, queue.window) == (300, 7200)
    assert rules.notify.github_repo == "acme/ci-health" and rules.notify.discord
    assert [r.name for r in load_rules(write(tmp_path, "defaults = false\n")).rules] == []
    assert [r.name for r in load_rules(None).rules] == [r.name for r in alerts.DEFAULT_RULES]


@pytest.mark.parametrize(("text", "expected"), [
    ("[[rules]\nname = 1", "not valid TOML"),
    ('[[rules]]\nname = "x"\nmetric = "latency"\n', "rules[1] (x).metric: metric must be one of"),
    ('[[rules]]\nname = "x"\n', "rules[1] (x).metric: metric is missing"),
    ('[[rules]]\nname = "q"\nmetric = "queue_p90"\nthreshold = 10\n',
     "rules[1] (q).threshold: 10 is not a duration"),
    ('[[rules]]\nname = "s"\nmetric = "stuck"\nminutse = 5\n',
     "rules[1] (s).minutse: not a field of this rule"),
    ('[[rules]]\nname = "r"\nmetric = "success_rate"\nthreshold = 80\n',
     "rules[1] (r).threshold: Input should be less than or equal to 1"),
    ('[notify]\ngithub_repo = "no-slash"\n', "notify.github_repo: write owner/repo"),
    ('[[rules]]\nname = "o"\nmetric = "outage"\nhours = 48\nwindow = "1d"\n',
     "rules[1] (o): window (1d) must be longer than hours (2d)"),
    ('[[rules]]\nname = "a"\nmetric = "stuck"\n[[rules]]\nname = "a"\nmetric = "outage"\n',
     "the name 'a' is used twice"),
])
def test_a_broken_rules_file_is_a_clear_error_and_exit_2(
        tmp_path: Path, text: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(alerts.RulesError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)
    args = SimpleNamespace(database=f"sqlite:///{tmp_path / 'never.sqlite3'}", rules=str(path),
                           evaluate=True, json=False)
    assert alerts.alerts_command(args) == 2  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert str(path) in err and expected in err
    assert not (tmp_path / "never.sqlite3").exists()  # nothing opened for a broken file


def test_switching_a_rule_off_resolves_its_alerts(store: Store, tmp_path: Path) -> None:
    failing_week(store)
    assert evaluate(store, only(RATE), NOW, web_url=WEB).fired
    rules = load_rules(write(tmp_path, '[[rules]]\nname = "success-rate"\n'
                                       'metric = "success_rate"\nenabled = false\n'))
    assert "success-rate" in rules.disabled
    resolved = evaluate(store, rules, NOW + 60, web_url=WEB).resolved
    assert [a.rule for a in resolved] == ["success-rate"]
    assert "switched off" in resolved[0].facts["resolution"]["summary"]


def test_a_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(alerts.RulesError, match="cannot read the rules file"):
        load_rules(tmp_path / "nope.toml")


# -- notifications -----------------------------------------------------------------------------

def notifier(sb: SandboxHandle, *, discord: str | None = None) -> Notifier:
    config = NotifyConfig(github_repo="ipfs/kubo", matrix_room=CHATTER_ALIAS, discord=True)
    return Notifier(config, github_api_url=sb.api_url, github_token=sb.admin_token,
                    matrix_url=sb.env["COCKPIT_MATRIX_URL"], matrix_token="sandbox-matrix-token",
                    discord_webhook=discord or sb.env["COCKPIT_DISCORD_WEBHOOK"])


def told(sb: SandboxHandle, alert: alerts.Alert) -> dict[str, list[Any]]:
    """What each channel holds about one alert (the sandbox is shared by the module's tests,
    which fire their alerts at different moments)."""
    state = sb.state()
    kubo = state["repos"]["ipfs/kubo"]
    issues = [i for i in kubo["issues"] if i["title"] == alerts.issue_title(alert)]
    numbers = {i["number"] for i in issues}
    return {
        "issues": issues,
        "comments": [c for c in kubo["comments"] if c["issue_number"] in numbers],
        "discord": [m for m in state["discord"]["messages"]
                    if m["content"].split("\n", 1)[0].endswith(f"(alert #{alert.id})")
                    and f"fired {alerts._iso(alert.fired_at)}" in m["content"]],
        "matrix": [e for e in state["matrix"]["rooms"][CHATTER_ROOM]["events"]
                   if e["unsigned"].get("transaction_id", "").startswith(
                       alerts.alert_key(alert))],
    }


def test_notifications_reach_github_matrix_and_discord_once(
        store: Store, module_sandbox: SandboxHandle) -> None:
    t = fresh_now()
    failing_week(store, now=t)
    tell = notifier(module_sandbox)
    rules = only(RATE, notify=tell.config)
    fired = evaluate(store, rules, t, web_url=WEB).fired
    assert asyncio.run(notify_pending(store, tell, t)) == []
    alert = fired[0]
    seen = told(module_sandbox, alert)
    assert len(seen["issues"]) == 1 and seen["issues"][0]["state"] == "open"
    body = seen["issues"][0]["body"]
    assert "success rate" in body and "50%" in body and "https://github.com/" in body
    assert len(seen["matrix"]) == 1 and "FIRING" in seen["matrix"][0]["content"]["body"]
    assert sorted(tell.sent) == [("discord", "fired", alert.id), ("github", "fired", alert.id),
                                 ("matrix", "fired", alert.id)]
    assert rows(store)[0]["notified_at"] == t

    # Evaluated and told again: nothing new anywhere.
    assert not evaluate(store, rules, t + 60, web_url=WEB)
    assert asyncio.run(notify_pending(store, tell, t + 60)) == []
    assert len(tell.sent) == 3 and len(told(module_sandbox, alert)["issues"]) == 1

    for i in range(40):
        add_run(store, t + 100 + i)
    assert evaluate(store, rules, t + HOUR, web_url=WEB).resolved
    assert asyncio.run(notify_pending(store, tell, t + HOUR)) == []
    assert asyncio.run(notify_pending(store, tell, t + HOUR + 60)) == []
    seen = told(module_sandbox, alert)
    assert seen["issues"][0]["state"] == "closed"
    assert len(seen["comments"]) == 1 and "RESOLVED" in seen["comments"][0]["body"]
    assert "88%" in seen["comments"][0]["body"]  # the rate it recovered to
    assert len(seen["matrix"]) == 2
    assert [m["content"].split(":", 1)[0] for m in seen["discord"]] == ["FIRING", "RESOLVED"]
    assert rows(store)[0]["notified_at"] == t + HOUR
    assert "sandbox-discord-webhook-token" not in json.dumps(rows(store))


def test_a_failed_notification_is_sent_again_once(store: Store, module_sandbox: SandboxHandle) -> None:
    """Discord refuses (a revoked webhook): the alert stays un-notified; the next pass tells
    Discord, and GitHub and Matrix — told the first time — are not told twice."""
    t = fresh_now()
    failing_week(store, now=t)
    revoked = module_sandbox.env["COCKPIT_DISCORD_WEBHOOK"] + "-revoked"
    broken = notifier(module_sandbox, discord=revoked)
    fired = evaluate(store, only(RATE, notify=broken.config), t, web_url=WEB).fired
    errors = asyncio.run(notify_pending(store, broken, t))
    assert len(errors) == 1 and errors[0].startswith(f"alert #{fired[0].id} (fired): discord:")
    assert "sandbox-discord-webhook-token" not in errors[0]
    assert rows(store)[0]["notified_at"] is None
    issue_number = json.loads(rows(store)[0]["facts"])["github_issue"]

    fixed = notifier(module_sandbox)
    assert asyncio.run(notify_pending(store, fixed, t + 60)) == []
    assert sorted(fixed.sent) == [("discord", "fired", fired[0].id),
                                  ("github", "fired", fired[0].id),
                                  ("matrix", "fired", fired[0].id)]
    seen = told(module_sandbox, fired[0])
    assert [i["number"] for i in seen["issues"]] == [issue_number]  # found, not made again
    assert len(seen["matrix"]) == 1  # the homeserver dropped the repeated transaction
    assert rows(store)[0]["notified_at"] == t + 60
    assert asyncio.run(notify_pending(store, fixed, t + 120)) == [] and len(fixed.sent) == 3


def test_a_crash_after_the_issue_was_opened_does_not_open_another(
        store: Store, module_sandbox: SandboxHandle) -> None:
    """The issue was created but the process died before recording it: the re-send finds it
    by its exact title."""
    t = fresh_now()
    failing_week(store, now=t)
    tell = notifier(module_sandbox)
    tell_github_only = Notifier(NotifyConfig(github_repo="ipfs/kubo"),
                                github_api_url=module_sandbox.api_url,
                                github_token=module_sandbox.admin_token)
    fired = evaluate(store, only(RATE), t, web_url=WEB).fired
    asyncio.run(tell_github_only.tell(fired[0], "fired"))  # …and then the crash
    assert asyncio.run(notify_pending(store, tell, t)) == []
    assert len(told(module_sandbox, fired[0])["issues"]) == 1


def test_without_channels_alerts_are_marked_told(store: Store) -> None:
    failing_week(store)
    evaluate(store, only(RATE), NOW, web_url=WEB)
    assert asyncio.run(notify_pending(store, None, NOW)) == []
    assert rows(store)[0]["notified_at"] == NOW
    assert alerts.pending_notifications(store, NOW) == []


# -- cockpit ci alerts -------------------------------------------------------------------------


def test_alerts_command_lists_firing_then_resolved(
        sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(sqlite_url)
    failing_week(store)
    add_run(store, NOW - 3 * HOUR, repo="acme/gadgets")
    rules = only(RATE)
    fired = evaluate(store, rules, NOW, web_url=WEB).fired
    store.execute("INSERT INTO alerts (rule, scope, fired_at, resolved_at, facts) VALUES "
                  "('stuck-job', 'acme/gadgets/CI/gpu', :f, :r, :facts)",
                  {"f": NOW - 2 * HOUR, "r": NOW - HOUR,
                   "facts": json.dumps({"summary": "1 job(s) queued over 30m",
                                        "resolution": {"summary": "all taken"}})})
    store.close()
    rules_file = write(tmp_path, 'defaults = false\n[[rules]]\nname = "success-rate"\n'
                                 'metric = "success_rate"\nmin_runs = 5\n')
    monkeypatch.setenv("COCKPIT_CI_DATABASE", sqlite_url)
    args = SimpleNamespace(database=None, rules=str(rules_file), evaluate=False, json=False)
    assert alerts.alerts_command(args) == 0  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert out.index("Firing (1):") < out.index("Resolved (latest) (1):")
    assert f"success-rate  {REPO}/CI  since" in out and "50%" in out
    assert "stuck-job  acme/gadgets/CI/gpu  resolved" in out and "now: all taken" in out

    args.json = True
    args.evaluate = True  # the wall clock: the week before it has none of these runs
    assert alerts.alerts_command(args) == 0  # type: ignore[arg-type]
    data = json.loads(capsys.readouterr().out)
    assert data["evaluated"] and data["firing"] == [] and data["resolved_now"] == [fired[0].id]
    resolved = {a["rule"]: a for a in data["resolved"]}
    assert set(resolved) == {"success-rate", "stuck-job"}
    assert resolved["success-rate"]["facts"]["success_rate"] == 0.5
    assert data["database"] == sqlite_url and data["errors"] == []


def test_alerts_command_with_a_bad_setting_says_which(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COCKPIT_HTTP_TIMEOUT_SECONDS", "0")
    args = SimpleNamespace(database=sqlite_url, rules=None, evaluate=True, json=False)
    assert alerts.alerts_command(args) == 2  # type: ignore[arg-type]
    assert "COCKPIT_HTTP_TIMEOUT_SECONDS" in capsys.readouterr().err


def test_alerts_command_evaluates_and_notifies_through_the_environment(
        sqlite_url: str, tmp_path: Path, module_sandbox: SandboxHandle,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`cockpit ci alerts --evaluate` with [notify]: tokens and URLs from the environment."""
    import time

    store = open_store(sqlite_url)
    now = time.time()
    for i in range(6):
        add_run(store, now - (i + 1) * HOUR, "failure", repo="acme/env")
    store.close()
    for name, value in module_sandbox.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    rules_file = write(tmp_path, '[notify]\ndiscord = true\n\n[[rules]]\nname = "success-rate"\n'
                                 'metric = "success_rate"\nmin_runs = 5\n')
    args = SimpleNamespace(database=sqlite_url, rules=str(rules_file), evaluate=True, json=False)
    assert alerts.alerts_command(args) == 0  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "1 fired, 0 resolved" in out and "acme/env/CI" in out
    assert [m for m in module_sandbox.state()["discord"]["messages"]
            if m["content"].startswith("FIRING: success-rate on acme/env/CI")]


# -- the loop ----------------------------------------------------------------------------------


def test_the_loop_evaluates_at_start_on_a_poke_and_stops(store_url: str,
                                                         make_store: MakeStore) -> None:
    store = make_store(store_url)
    clock = [float(NOW)]
    logged: list[str] = []
    loop = AlertLoop(lambda: open_store(store_url), only(RATE), interval=60, settle=0.01,
                     web_url=WEB, clock=lambda: clock[0], log=logged.append).start()
    try:
        assert loop.wait_for(1, timeout=10)
        assert loop.last is not None and not loop.last
        failing_week(store)  # what the receiver stores, then:
        loop.poke()
        assert loop.wait_for(2, timeout=10)
        assert loop.last is not None and [a.scope for a in loop.last.fired] == [f"{REPO}/CI"]
        assert any(line.startswith("fired success-rate") for line in logged)
        for _ in range(5):  # a burst of pokes: a few evaluations, never one per poke needed
            loop.poke()
        assert loop.wait_for(3, timeout=10)
        assert len(rows(store)) == 1
    finally:
        loop.stop()
    count = loop.evaluations
    loop.poke()
    assert loop.evaluations == count  # stopped: pokes do nothing


def test_the_loop_survives_a_store_it_cannot_open() -> None:
    logged: list[str] = []

    def broken() -> Store:
        raise alerts_store_error()

    loop = AlertLoop(broken, only(RATE), interval=0.05, settle=0.01, log=logged.append).start()
    try:
        assert loop.wait_for(2, timeout=10)
    finally:
        loop.stop()
    assert any("cannot open the store" in line for line in logged)


def alerts_store_error() -> Exception:
    from cockpit.ci.store import StoreError

    return StoreError("event store postgresql://ci:***@db/ci: opening failed")
