"""The event stores on SQLite and on a real PostgreSQL: raw storage, indexing, concurrency, faults.

Most tests run twice (``store_url``: ids ``sqlite`` and ``postgresql``); the comparisons of the
two and the PostgreSQL-only faults take both URLs or ``pg_url``.
"""

from __future__ import annotations

import json
import random
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cockpit.ci import schema
from cockpit.ci.index import job_row, runner_kind, status_rank
from cockpit.ci.postgres import PostgresStore, translate
from cockpit.ci.sqlite import SQLiteStore
from cockpit.ci.store import BadDatabaseURL, Delivery, Store, StoreError, open_store
from tests.ci import payloads as p

MakeStore = Callable[[str], Store]
TABLES = ("events", "workflow_runs", "workflow_jobs", "workflow_timeouts", "alerts",
          "schema_version")


def count(store: Store, table: str) -> int:
    return int(store.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])


def job(store: Store, job_id: int) -> dict[str, Any]:
    rows = store.query("SELECT * FROM workflow_jobs WHERE job_id = :id", {"id": job_id})
    assert len(rows) == 1, rows
    return rows[0]


def run(store: Store, run_id: int, attempt: int = 1) -> dict[str, Any]:
    rows = store.query("SELECT * FROM workflow_runs WHERE run_id = :id AND run_attempt = :a",
                       {"id": run_id, "a": attempt})
    assert len(rows) == 1, rows
    return rows[0]


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# -- migrations --------------------------------------------------------------------------------


def test_migrate_twice_is_a_no_op(store: Store, store_url: str, make_store: MakeStore) -> None:
    delivery = p.run_delivery("completed")
    assert store.ingest(delivery)
    store.migrate()
    again = make_store(store_url)  # open_store migrates too
    again.migrate()
    assert [row["version"] for row in store.query("SELECT version FROM schema_version")] == \
        list(range(1, schema.LATEST + 1))
    for table in TABLES:
        store.query(f"SELECT * FROM {table} LIMIT 1")
    assert count(again, "events") == 1 and again.has_delivery(delivery.delivery_id)


def test_two_processes_migrating_at_once_create_the_schema_once(store_url: str) -> None:
    barrier = threading.Barrier(4)

    def open_one() -> Store:
        barrier.wait()
        return open_store(store_url)

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_one(), range(4)))
    try:
        assert stores[0].query("SELECT version FROM schema_version ORDER BY version") == \
            [{"version": v} for v in range(1, schema.LATEST + 1)]
    finally:
        for store in stores:
            store.close()


# -- ingest ------------------------------------------------------------------------------------


def test_a_redelivery_is_stored_once(store: Store) -> None:
    delivery = p.job_delivery("completed", started_at=p.T0 + p.minutes(1),
                              completed_at=p.T0 + p.minutes(5))
    assert not store.has_delivery(delivery.delivery_id)
    assert store.ingest(delivery) is True
    assert store.ingest(delivery) is False
    assert store.has_delivery(delivery.delivery_id)
    assert count(store, "events") == 1 and count(store, "workflow_jobs") == 1
    event = store.query("SELECT * FROM events")[0]
    assert event["delivery_id"] == str(delivery.delivery_id)
    assert (event["event"], event["action"], event["organization"], event["repository"],
            event["source"]) == ("workflow_job", "completed", "acme", "acme/widgets", "webhook")
    assert json.loads(event["payload"]) == delivery.payload
    assert event["received_at"] == delivery.received_at.isoformat(timespec="microseconds")


def test_any_event_is_stored_raw_and_only_runs_and_jobs_are_indexed(store: Store) -> None:
    ping = p.delivery("ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    check = p.delivery("check_run", {"action": "completed", "check_run": {"id": 5},
                                     "repository": p.repository("acme/gadgets")})
    assert store.ingest(ping) and store.ingest(check)
    rows = store.query("SELECT event, action, organization, repository FROM events ORDER BY event")
    assert rows == [
        {"event": "check_run", "action": "completed", "organization": "acme",
         "repository": "acme/gadgets"},
        {"event": "ping", "action": None, "organization": None, "repository": None},
    ]
    assert count(store, "workflow_runs") == count(store, "workflow_jobs") == 0


def test_a_job_completed_before_in_progress_stays_completed(store: Store) -> None:
    job_id, run_id = p.next_id(), p.next_id()
    common = {"job_id": job_id, "run_id": run_id}
    queued = p.job_delivery("queued", **common)
    started = p.job_delivery("in_progress", started_at=p.T0 + p.minutes(3), **common)
    done = p.job_delivery("completed", started_at=p.T0 + p.minutes(3),
                          completed_at=p.T0 + p.minutes(12), conclusion="failure", **common)
    for delivery in (done, started, queued):
        assert store.ingest(delivery)
    row = job(store, job_id)
    assert (row["status"], row["conclusion"]) == ("completed", "failure")
    assert row["created_at"] == epoch(p.T0)
    assert row["started_at"] == epoch(p.T0 + p.minutes(3))
    assert row["completed_at"] == epoch(p.T0 + p.minutes(12))
    assert row["runner_name"] == "GitHub Actions 2"
    assert count(store, "events") == 3


def test_an_earlier_delivery_fills_only_what_is_unknown(store: Store) -> None:
    job_id = p.next_id()
    started = p.job_delivery("in_progress", job_id=job_id, run_id=7,
                             started_at=p.T0 + p.minutes(2))
    del started.payload["workflow_job"]["workflow_name"]  # older GitHub Enterprise payloads
    queued = p.job_delivery("queued", job_id=job_id, run_id=7, workflow_name="Release",
                            name="renamed?")
    assert store.ingest(started) and store.ingest(queued)
    row = job(store, job_id)
    assert row["workflow_name"] == "Release"  # was NULL: filled
    assert row["job_name"] == "build"  # was known: kept
    assert row["status"] == "in_progress"
    assert row["started_at"] == epoch(p.T0 + p.minutes(2))


def test_a_queued_job_has_no_start_until_a_runner_takes_it(store: Store) -> None:
    job_id = p.next_id()
    assert store.ingest(p.job_delivery("queued", job_id=job_id, run_id=8))
    row = job(store, job_id)
    assert (row["status"], row["started_at"], row["runner_name"]) == ("queued", None, None)
    assert store.ingest(p.job_delivery("in_progress", job_id=job_id, run_id=8,
                                       started_at=p.T0 + p.minutes(14)))
    row = job(store, job_id)
    assert row["started_at"] - row["created_at"] == 14 * 60


def test_a_run_completed_before_requested_stays_completed(store: Store) -> None:
    run_id = p.next_id()
    done = p.run_delivery("completed", run_id=run_id, conclusion="cancelled",
                          run_started_at=p.T0 + p.minutes(1), updated_at=p.T0 + p.minutes(30))
    requested = p.run_delivery("requested", run_id=run_id)
    started = p.run_delivery("in_progress", run_id=run_id, run_started_at=p.T0 + p.minutes(1))
    for delivery in (done, started, requested):
        assert store.ingest(delivery)
    row = run(store, run_id)
    assert (row["status"], row["conclusion"]) == ("completed", "cancelled")
    assert (row["created_at"], row["started_at"], row["completed_at"]) == (
        epoch(p.T0), epoch(p.T0 + p.minutes(1)), epoch(p.T0 + p.minutes(30)))
    assert row["last_delivery"] == str(done.delivery_id)
    assert (row["workflow_name"], row["workflow_path"], row["event"], row["head_branch"]) == (
        "CI", ".github/workflows/ci.yml", "push", "main")
    # A re-run is another attempt: a row of its own.
    assert store.ingest(p.run_delivery("requested", run_id=run_id, run_attempt=2))
    assert run(store, run_id, 2)["status"] == "queued"
    assert run(store, run_id, 1)["status"] == "completed"


@pytest.mark.parametrize(("labels", "group", "kind"), [
    (["ubuntu-latest"], None, "github-hosted"),
    (["Self-Hosted", "linux", "ARM64"], None, "self-hosted"),
    (["self-hosted"], "GitHub Actions", "self-hosted"),
    ([], None, None),
    (None, None, None),
    ([], "GitHub Actions", "github-hosted"),
])
def test_runner_kind_rule(labels: list[str] | None, group: str | None, kind: str | None) -> None:
    assert runner_kind(labels, group) == kind


def test_runner_kind_in_the_index(store: Store) -> None:
    hosted, own, unknown = p.next_id(), p.next_id(), p.next_id()
    assert store.ingest(p.job_delivery("queued", job_id=hosted, labels=["ubuntu-22.04"]))
    assert store.ingest(p.job_delivery("completed", job_id=own, labels=p.SELF_HOSTED_LABELS))
    assert store.ingest(p.job_delivery("queued", job_id=unknown, labels=[]))
    assert job(store, hosted)["runner_kind"] == "github-hosted"
    assert json.loads(job(store, hosted)["labels"]) == ["ubuntu-22.04"]
    mine = job(store, own)
    assert (mine["runner_kind"], mine["runner_name"], mine["runner_group_name"]) == (
        "self-hosted", "runner-1", "Default")
    assert job(store, unknown)["runner_kind"] is None
    assert job(store, unknown)["labels"] is None


def test_an_api_event_after_a_webhook_does_not_flip_the_source(store: Store) -> None:
    seen, missed, late = p.next_id(), p.next_id(), p.next_id()
    assert store.ingest(p.run_delivery("completed", run_id=seen))
    assert store.ingest(p.run_delivery("completed", run_id=seen, source="api"))
    assert store.ingest(p.run_delivery("completed", run_id=missed, source="api"))
    assert store.ingest(p.run_delivery("completed", run_id=late, source="api"))
    assert store.ingest(p.run_delivery("in_progress", run_id=late))  # older, but a webhook
    sources = {row["run_id"]: row["source"] for row in
               store.query("SELECT run_id, source FROM workflow_runs")}
    assert sources == {seen: "webhook", missed: "api", late: "webhook"}
    assert run(store, late)["status"] == "completed"
    job_id = p.next_id()
    assert store.ingest(p.job_delivery("in_progress", job_id=job_id))
    assert store.ingest(p.job_delivery("completed", job_id=job_id, source="api"))
    row = job(store, job_id)
    assert (row["source"], row["status"]) == ("webhook", "completed")
    api_events = store.query("SELECT COUNT(*) AS n FROM events WHERE source = 'api'")
    assert api_events == [{"n": 4}]


def test_a_failed_index_writes_nothing(store: Store) -> None:
    store.execute("DROP TABLE workflow_jobs")
    delivery = p.job_delivery("queued")
    with pytest.raises(StoreError, match="storing a delivery"):
        store.ingest(delivery)
    assert not store.has_delivery(delivery.delivery_id)
    assert count(store, "events") == 0


def test_many_threads_ingest_at_once(store: Store) -> None:
    deliveries = [p.job_delivery(random.choice(["queued", "in_progress", "completed"]),
                                 job_id=1000 + i % 40, run_id=77) for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        # Each delivery twice, at once: of the two, exactly one stores it.
        results = list(pool.map(store.ingest, [d for d in deliveries for _ in range(2)]))
    assert [sorted(results[i:i + 2]) for i in range(0, 400, 2)] == [[False, True]] * 200
    assert count(store, "events") == 200
    assert count(store, "workflow_jobs") == 40
    for job_id in range(1000, 1040):
        statuses = [d.payload["workflow_job"]["status"] for d in deliveries
                    if d.payload["workflow_job"]["id"] == job_id]
        assert job(store, job_id)["status"] == max(statuses, key=status_rank)


def test_query_execute_and_executemany_speak_named_parameters(store: Store) -> None:
    rows = [{"repository": "acme/widgets", "head_sha": f"{i:040x}", "workflow_path": "ci.yml",
             "job_name": "build", "timeout_minutes": 10 * i} for i in range(1, 4)]
    store.executemany(
        "INSERT INTO workflow_timeouts (repository, head_sha, workflow_path, job_name, "
        "timeout_minutes) VALUES (:repository, :head_sha, :workflow_path, :job_name, "
        ":timeout_minutes)", rows)
    changed = store.execute("UPDATE workflow_timeouts SET timeout_minutes = timeout_minutes + 1 "
                            "WHERE timeout_minutes >= :least", {"least": 20})
    assert changed == 2
    found = store.query(
        "SELECT job_name || ':' || 'x%' AS label, SUM(timeout_minutes) AS total, "
        "AVG(timeout_minutes) AS mean, MAX(timeout_minutes) / 7 AS weeks FROM workflow_timeouts "
        "WHERE repository = :repo AND job_name LIKE 'bu%' GROUP BY job_name", {"repo": "acme/widgets"})
    assert found == [{"label": "build:x%", "total": 62, "mean": pytest.approx(62 / 3), "weeks": 4}]
    assert type(found[0]["total"]) is int and type(found[0]["mean"]) is float


def test_alerts_open_once_per_rule_and_scope(store: Store) -> None:
    insert = ("INSERT INTO alerts (rule, scope, fired_at, facts) VALUES (:rule, :scope, :at, :facts) "
              "ON CONFLICT (rule, scope) WHERE resolved_at IS NULL DO NOTHING")
    facts = json.dumps({"p90": 720})
    assert store.execute(insert, {"rule": "queue", "scope": "acme/widgets", "at": 1.5,
                                  "facts": facts}) == 1
    assert store.execute(insert, {"rule": "queue", "scope": "acme/widgets", "at": 2.5,
                                  "facts": facts}) == 0
    store.execute("UPDATE alerts SET resolved_at = :at WHERE rule = 'queue'", {"at": 3.0})
    assert store.execute(insert, {"rule": "queue", "scope": "acme/widgets", "at": 4.0,
                                  "facts": facts}) == 1
    rows = store.query("SELECT id, fired_at, resolved_at, facts FROM alerts ORDER BY id")
    assert [(r["fired_at"], r["resolved_at"]) for r in rows] == [(1.5, 3.0), (4.0, None)]
    assert json.loads(rows[0]["facts"]) == {"p90": 720}
    assert rows[1]["id"] > rows[0]["id"]


def test_received_at_compares_with_an_iso_parameter(store: Store) -> None:
    early = p.run_delivery("completed", received_at=datetime(2026, 11, 1, tzinfo=UTC))
    late = p.run_delivery("completed", received_at=datetime(2026, 11, 20, 8, 30, tzinfo=UTC))
    assert store.ingest(early) and store.ingest(late)
    rows = store.query("SELECT delivery_id, received_at FROM events WHERE received_at >= :since",
                       {"since": "2026-11-10T00:00:00.000000+00:00"})
    assert rows == [{"delivery_id": str(late.delivery_id),
                     "received_at": "2026-11-20T08:30:00.000000+00:00"}]


# -- both stores agree -------------------------------------------------------------------------


def _sequence() -> list[Delivery]:
    """A day of one repository's CI, delivered out of order, twice in places, partly via API."""
    rng = random.Random(13)
    deliveries: list[Delivery] = []
    for n in range(6):
        run_id, created = 9_000 + n, p.T0 + p.minutes(20 * n)
        started, done = created + p.minutes(1), created + p.minutes(9 + n)
        source = "api" if n == 4 else "webhook"
        deliveries += [
            p.run_delivery("requested", run_id=run_id, created_at=created, source=source),
            p.run_delivery("in_progress", run_id=run_id, created_at=created,
                           run_started_at=started, source=source),
            p.run_delivery("completed", run_id=run_id, created_at=created, run_started_at=started,
                           updated_at=done, conclusion="failure" if n == 2 else "success",
                           source=source),
        ]
        for k, labels in enumerate([p.HOSTED_LABELS, p.SELF_HOSTED_LABELS]):
            job_id = 50_000 + 10 * n + k
            job_start = started + p.minutes(k * 7)
            fields = {"job_id": job_id, "run_id": run_id, "labels": labels, "created_at": started,
                      "name": f"test-{k}", "source": source}
            deliveries += [
                p.job_delivery("queued", **fields),
                p.job_delivery("in_progress", started_at=job_start, **fields),
                p.job_delivery("completed", started_at=job_start, completed_at=done, **fields),
            ]
    deliveries += deliveries[:5]  # redeliveries
    rng.shuffle(deliveries)
    dropped = {d.delivery_id for d in deliveries[::11]}  # some never came
    return [d for d in deliveries if d.delivery_id not in dropped]


def _dump(store: Store) -> dict[str, list[dict[str, Any]]]:
    events = store.query("SELECT * FROM events ORDER BY delivery_id")
    for event in events:
        event["payload"] = json.loads(event["payload"])  # jsonb normalises spacing and key order
    return {
        "events": events,
        "workflow_runs": store.query("SELECT * FROM workflow_runs ORDER BY run_id, run_attempt"),
        "workflow_jobs": store.query("SELECT * FROM workflow_jobs ORDER BY job_id"),
    }


def test_the_same_deliveries_give_the_same_rows_on_both_stores(
        sqlite_url: str, pg_url: str, make_store: MakeStore) -> None:
    deliveries = _sequence()
    lite, pg = make_store(sqlite_url), make_store(pg_url)
    assert [lite.ingest(d) for d in deliveries] == [pg.ingest(d) for d in deliveries]
    assert _dump(lite) == _dump(pg)
    assert len(_dump(pg)["workflow_jobs"]) == 12


# -- PostgreSQL: two receivers, faults ---------------------------------------------------------


def test_two_receivers_store_a_delivery_once(pg_url: str, make_store: MakeStore) -> None:
    first, second = make_store(pg_url), make_store(pg_url)
    deliveries = [p.job_delivery("completed", job_id=70_000 + i % 5) for i in range(25)]
    barrier = threading.Barrier(2)

    def race(store: Store, delivery: Delivery) -> bool:
        barrier.wait(timeout=10)
        return store.ingest(delivery)

    with ThreadPoolExecutor(2) as pool:
        for delivery in deliveries:
            a = pool.submit(race, first, delivery)
            b = pool.submit(race, second, delivery)
            assert sorted([a.result(timeout=10), b.result(timeout=10)]) == [False, True]
    assert count(first, "events") == 25
    assert count(first, "workflow_jobs") == 5


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_postgresql_is_a_store_error_fast_without_the_password() -> None:
    url = f"postgresql://ci:s3cret-Pw@127.0.0.1:{_closed_port()}/events"
    started = time.monotonic()
    with pytest.raises(StoreError) as opened:
        open_store(url)
    assert time.monotonic() - started < 5
    message = str(opened.value)
    assert "s3cret-Pw" not in message and "postgresql://ci:***@127.0.0.1" in message
    assert "check that PostgreSQL is running" in message

    store = PostgresStore(url)  # the pool's path: what the receiver meets in an outage
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as ingested:
            store.ingest(p.run_delivery("completed"))
        assert time.monotonic() - started < 5
        assert "s3cret-Pw" not in str(ingested.value) and "***" in str(ingested.value)
        assert "s3cret-Pw" not in repr(ingested.value.__cause__)
    finally:
        store.close()


def test_a_wrong_database_says_so(pg_url: str) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(StoreError, match='database "no_such_db" does not exist'):
        open_store(url)


@pytest.mark.parametrize("url", ["mysql://root:hunter22@127.0.0.1/ci", "sqlite://", "sqlite:///",
                                 "events.db"])
def test_a_url_the_cockpit_does_not_read(url: str) -> None:
    with pytest.raises(BadDatabaseURL) as bad:
        open_store(url)
    assert "hunter22" not in str(bad.value)


# -- SQLite faults -----------------------------------------------------------------------------


def test_sqlite_creates_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "events.sqlite3"
    store = open_store(f"sqlite:///{path}")
    try:
        assert path.is_file()
        assert store.query("PRAGMA journal_mode") == [{"journal_mode": "wal"}]
    finally:
        store.close()


def test_sqlite_locked_too_long_is_a_store_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    SQLiteStore(path).migrate()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = SQLiteStore(path, busy_timeout=0.2)
    try:
        delivery = p.run_delivery("completed")
        with pytest.raises(StoreError, match=r"events\.sqlite3.*locked") as locked:
            store.ingest(delivery)
        assert "0.2 s" in str(locked.value)
        holder.execute("ROLLBACK")
        assert not store.has_delivery(delivery.delivery_id)
        assert store.ingest(delivery)
    finally:
        holder.close()
        store.close()


def test_sqlite_disk_full_is_a_store_error_and_writes_nothing(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "events.sqlite3")
    try:
        store.migrate()
        pages = store.query("PRAGMA page_count")[0]["page_count"]
        store.query(f"PRAGMA max_page_count = {pages + 2}")  # this connection's disk is tiny
        big = p.delivery("push", {"commits": ["x" * 1000] * 100,
                                  "repository": p.repository()})
        with pytest.raises(StoreError, match=r"events\.sqlite3.*full") as full:
            store.ingest(big)
        assert "free space" in str(full.value)
        assert not store.has_delivery(big.delivery_id)
    finally:
        store.close()


def test_sqlite_in_an_unwritable_place_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="a-file"):
        open_store(f"sqlite:///{blocker / 'events.sqlite3'}")


# -- pure parts --------------------------------------------------------------------------------


def test_translate_keeps_casts_literals_and_percent() -> None:
    sql = ("SELECT x::bigint, '12:30 :not' AS t, \"a:b\" FROM y -- :comment\n"
           "WHERE z = :z AND w LIKE 'a%' AND v = :v_2 /* :c */")
    assert translate(sql) == (
        "SELECT x::bigint, '12:30 :not' AS t, \"a:b\" FROM y -- :comment\n"
        "WHERE z = %(z)s AND w LIKE 'a%%' AND v = %(v_2)s /* :c */")
    assert translate("SELECT 'it''s :x', :y") == "SELECT 'it''s :x', %(y)s"


def test_a_job_row_from_a_real_shaped_payload() -> None:
    delivery = p.job_delivery("completed", job_id=123, run_id=456, labels=["self-hosted", "x64"],
                              started_at="2026-11-30T05:02:00Z", completed_at="2026-11-30T05:12:30Z")
    row = job_row(delivery)
    assert row is not None
    assert row["started_at"] == 1796014920 and row["completed_at"] - row["started_at"] == 630
    assert row["labels"] == '["self-hosted", "x64"]' and row["runner_kind"] == "self-hosted"
    assert job_row(p.run_delivery("completed")) is None
    broken = p.delivery("workflow_job", {"action": "queued", "workflow_job": {"id": "x"}})
    assert job_row(broken) is None
    assert uuid.UUID(str(delivery.delivery_id))


# -- PostgreSQL outages ------------------------------------------------------------------------


def test_the_pool_recovers_when_the_server_drops_its_connections(pg_url: str,
                                                                 make_store: MakeStore) -> None:
    store = make_store(pg_url)
    assert store.ingest(p.run_delivery("completed"))
    store.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    assert store.ingest(p.run_delivery("completed"))
    assert count(store, "events") == 2


def test_a_server_outage_is_a_store_error_then_ingest_works_again(own_pg_server: Any) -> None:
    store = open_store(own_pg_server.url())
    try:
        assert store.ingest(p.run_delivery("completed"))
        own_pg_server.stop()
        lost = p.run_delivery("completed")
        started = time.monotonic()
        with pytest.raises(StoreError, match="check that PostgreSQL is running"):
            store.ingest(lost)
        assert time.monotonic() - started < 5
        own_pg_server.start()
        assert store.ingest(lost)  # GitHub's redelivery, once the database is back
        assert count(store, "events") == 2
    finally:
        store.close()


def test_redact_url_hides_a_password_in_the_user_info_and_in_the_query() -> None:
    from cockpit.ci.store import redact_url

    assert redact_url("postgresql://ci:s3cret@db/ci?password=s3cret&sslmode=require") == \
        "postgresql://ci:***@db/ci?password=***&sslmode=require"
    assert redact_url("sqlite:////var/ci/events.sqlite3") == "sqlite:////var/ci/events.sqlite3"
    assert redact_url("postgresql://ci@db/ci") == "postgresql://ci@db/ci"
