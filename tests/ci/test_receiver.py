"""The webhook receiver over real loopback HTTP (uvicorn on a thread, or ``cockpit ci serve``
as a process), on SQLite and on a real PostgreSQL: what is stored, what is refused, and that
nothing acknowledged is ever lost."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from cockpit.ci.receiver import MAX_BODY, ReceiverHandle, receiver_app, running_receiver
from cockpit.ci.signature import sign
from cockpit.ci.store import Store, StoreError, open_store
from tests.ci.payloads import workflow_job, workflow_run

SECRET = "rx-test-secret-5b0f1c7e9d2a"
ROOT = Path(__file__).resolve().parents[2]


def headers(body: bytes, *, event: str = "workflow_job", delivery_id: str | None = None,
            secret: str | None = SECRET) -> dict[str, str]:
    out = {"Content-Type": "application/json", "X-GitHub-Event": event,
           "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
           "User-Agent": "GitHub-Hookshot/044aadd"}
    if secret is not None:
        out["X-Hub-Signature-256"] = sign(secret, body)
    return out


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def count(store: Store, delivery_id: str | None = None) -> int:
    if delivery_id is None:
        return int(store.query("SELECT COUNT(*) AS n FROM events")[0]["n"])
    return int(store.query("SELECT COUNT(*) AS n FROM events WHERE CAST(delivery_id AS TEXT) = :id",
                           {"id": delivery_id})[0]["n"])


@pytest.fixture
def receiver(store_url: str) -> Iterator[ReceiverHandle]:
    with running_receiver(store_url, SECRET) as handle:
        yield handle


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def inspect(store_url: str, make_store: Callable[[str], Store]) -> Store:
    """A second store on the receiver's database: what a reader (Grafana, facts) sees."""
    return make_store(store_url)


# -- stored, once -------------------------------------------------------------------------------


def test_a_signed_delivery_is_stored_once_and_a_redelivery_is_acknowledged(
        receiver: ReceiverHandle, client: httpx.Client, inspect: Store,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    payload = workflow_job("queued", repo="acme/widgets", job_id=7001, run_id=7000)
    body = body_of(payload)
    sent = headers(body)
    delivery_id = sent["X-GitHub-Delivery"]
    first = client.post(receiver.url, content=body, headers=sent)
    assert first.status_code == 200 and first.json() == {"stored": True}
    again = client.post(receiver.url, content=body, headers=sent)
    assert again.status_code == 200 and again.json() == {"stored": False}
    assert count(inspect) == 1 and inspect.has_delivery(uuid.UUID(delivery_id))
    row = inspect.query("SELECT event, action, organization, repository, source, payload "
                        "FROM events")[0]
    assert (row["event"], row["action"], row["organization"], row["repository"],
            row["source"]) == ("workflow_job", "queued", "acme", "acme/widgets", "webhook")
    stored = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    assert stored == payload
    jobs = inspect.query("SELECT job_id, status FROM workflow_jobs")
    assert jobs == [{"job_id": 7001, "status": "queued"}]

    # One line per delivery, naming it; never the secret, the signature or the payload.
    lines = [r.getMessage() for r in caplog.records if r.name == "cockpit.ci.receiver"]
    assert len(lines) == 2
    assert re.fullmatch(rf"workflow_job queued acme/widgets {delivery_id} stored [\d.]+ ms",
                        lines[0]), lines
    assert " duplicate " in lines[1]
    logged = caplog.text
    assert SECRET not in logged and sent["X-Hub-Signature-256"] not in logged
    assert "steps" not in logged and "octocat" not in logged


def test_any_event_is_stored_and_a_form_encoded_webhook_works_too(
        receiver: ReceiverHandle, client: httpx.Client, inspect: Store) -> None:
    ping = body_of({"zen": "Keep it logically awesome.", "hook_id": 1})
    assert client.post(receiver.url, content=ping,
                       headers=headers(ping, event="ping")).json() == {"stored": True}
    from urllib.parse import urlencode

    form = urlencode({"payload": json.dumps(workflow_run("requested"))}).encode()
    sent = {**headers(form, event="workflow_run"),
            "Content-Type": "application/x-www-form-urlencoded"}
    assert client.post(receiver.url, content=form, headers=sent).json() == {"stored": True}
    assert sorted(r["event"] for r in inspect.query("SELECT event FROM events")) == [
        "ping", "workflow_run"]
    assert len(inspect.query("SELECT run_id FROM workflow_runs")) == 1


# -- refused, nothing stored --------------------------------------------------------------------


def test_missing_or_wrong_signatures_are_401_and_nothing_is_stored(
        receiver: ReceiverHandle, client: httpx.Client, inspect: Store,
        caplog: pytest.LogCaptureFixture) -> None:
    body = body_of(workflow_job("queued"))
    other = body_of(workflow_job("completed"))
    cases = {
        "missing": headers(body, secret=None),
        "another secret": headers(body, secret="not-the-secret"),
        "another body": {**headers(body), "X-Hub-Signature-256": sign(SECRET, other)},
        "sha1 only": {**headers(body, secret=None),
                      "X-Hub-Signature": "sha1=" + "0" * 40},
        "garbage": {**headers(body, secret=None), "X-Hub-Signature-256": "sha256=zz"},
    }
    for case, sent in cases.items():
        answer = client.post(receiver.url, content=body, headers=sent)
        assert answer.status_code == 401, case
        assert SECRET not in answer.text
    assert "no X-Hub-Signature-256 header" in client.post(
        receiver.url, content=body, headers=cases["missing"]).json()["error"]
    # A bad signature says nothing about the rest: not even a bad id or bad JSON is reported.
    junk = b"{not json"
    answer = client.post(receiver.url, content=junk, headers={
        **headers(junk, secret="wrong"), "X-GitHub-Delivery": "nope"})
    assert answer.status_code == 401
    assert count(inspect) == 0
    assert SECRET not in caplog.text


def test_malformed_json_or_headers_are_400_and_nothing_is_stored(
        receiver: ReceiverHandle, client: httpx.Client, inspect: Store) -> None:
    good = body_of(workflow_job("queued"))
    for bad_body in (b"{\"action\": ", b"[1, 2]", b"\xff\xfe", b"", b'{"a": "\\ud800"}'):
        answer = client.post(receiver.url, content=bad_body, headers=headers(bad_body))
        assert answer.status_code == 400, bad_body
    without_id = headers(good)
    del without_id["X-GitHub-Delivery"]
    without_event = headers(good)
    del without_event["X-GitHub-Event"]
    for sent in (without_id, without_event, headers(good, delivery_id="12345"),
                 headers(good, event="workflow job; drop table")):
        assert client.post(receiver.url, content=good, headers=sent).status_code == 400, sent
    assert count(inspect) == 0


def _raw_post(url: str, head: str, chunks: Iterator[bytes]) -> tuple[str, int]:
    """Send a request by hand (httpx would not send a lying Content-Length) while reading the
    answer: (status line, bytes of body the receiver let us send before it closed)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80))
    sock.settimeout(10)
    sent = 0

    def pump() -> None:
        nonlocal sent
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the receiver closed the connection: what we want

    sock.sendall(f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}\r\n".encode())
    sender = threading.Thread(target=pump)
    sender.start()
    answer = b""
    try:
        while b"\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sender.join(10)
        sock.close()
    return answer.split(b"\r\n", 1)[0].decode(), sent


def test_a_body_over_25_mb_is_413_without_reading_it(
        receiver: ReceiverHandle, inspect: Store) -> None:
    oversize = MAX_BODY + 1
    # Claimed by Content-Length: refused before a byte of body is sent.
    status, sent = _raw_post(receiver.url, f"Content-Type: application/json\r\n"
                             f"X-GitHub-Event: push\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
                             f"Content-Length: {oversize}\r\n", iter(()))
    assert status == "HTTP/1.1 413 Request Entity Too Large" and sent == 0

    # Streamed without a length: counted, refused once over, and the connection closed.
    mib = 1024 * 1024
    chunk = b"%x\r\n" % mib + b" " * mib + b"\r\n"

    def forty_mib() -> Iterator[bytes]:
        for _ in range(40):
            yield chunk
        yield b"0\r\n\r\n"

    status, sent = _raw_post(receiver.url, "Content-Type: application/json\r\n"
                             f"X-GitHub-Event: push\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
                             "Transfer-Encoding: chunked\r\n", forty_mib())
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert sent < 40 * mib  # the rest was never read
    assert count(inspect) == 0


# -- the store fails ----------------------------------------------------------------------------


def _break_job_indexing(store: Store) -> None:
    """Make the index write fail *after* the raw row is written, inside ingest's transaction:
    a trigger refuses any new workflow_jobs row."""
    if store.dialect == "sqlite":
        store.execute("CREATE TRIGGER refuse_jobs BEFORE INSERT ON workflow_jobs "
                      "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    else:
        store.execute("CREATE FUNCTION refuse_jobs() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$")
        store.execute("CREATE TRIGGER refuse_jobs BEFORE INSERT ON workflow_jobs "
                      "FOR EACH ROW EXECUTE FUNCTION refuse_jobs()")


def test_a_store_failing_mid_ingest_is_503_and_leaves_no_half_written_row(
        receiver: ReceiverHandle, client: httpx.Client, inspect: Store) -> None:
    ok = body_of(workflow_run("requested"))
    assert client.post(receiver.url, content=ok, headers=headers(ok, event="workflow_run")
                       ).status_code == 200
    _break_job_indexing(inspect)
    body = body_of(workflow_job("queued"))
    sent = headers(body)
    answer = client.post(receiver.url, content=body, headers=sent)
    assert answer.status_code == 503, answer.text
    assert "nothing was stored" in answer.json()["error"]
    assert count(inspect, sent["X-GitHub-Delivery"]) == 0  # the raw row rolled back with it
    assert count(inspect) == 1
    # GitHub's redelivery, once the store is well again, is stored.
    inspect.execute("DROP TRIGGER refuse_jobs" + ("" if inspect.dialect == "sqlite"
                                                  else " ON workflow_jobs"))
    assert client.post(receiver.url, content=body, headers=sent).json() == {"stored": True}
    assert count(inspect) == 2


def test_an_unreachable_database_is_503_and_healthz_says_so(client: httpx.Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = f"postgresql://ci:pw-never-shown@127.0.0.1:{closed_port}/ci"
    with running_receiver(url, SECRET) as rx:
        body = body_of(workflow_job("queued"))
        started = time.monotonic()
        answer = client.post(rx.url, content=body, headers=headers(body))
        assert answer.status_code == 503, answer.text
        assert time.monotonic() - started < 9  # inside GitHub's 10 s
        health = client.get(rx.base_url + "/healthz")
        assert health.status_code == 503 and health.json()["ok"] is False
        assert "pw-never-shown" not in answer.text + health.text


def test_a_store_that_could_not_open_is_retried_once_it_can(
        sqlite_url: str, client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    import cockpit.ci.receiver as receiver_module

    monkeypatch.setattr(receiver_module, "REOPEN_AFTER_S", 0.3)
    attempts: list[float] = []

    def factory() -> Store:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise StoreError("event store postgresql://ci@db/ci: opening failed: refused")
        return open_store(sqlite_url)

    rx = ReceiverHandle(receiver_app(factory, SECRET))
    rx.start()
    try:
        body = body_of(workflow_job("queued"))
        sent = headers(body)
        assert client.post(rx.url, content=body, headers=sent).status_code == 503
        assert client.post(rx.url, content=body, headers=sent).status_code == 503
        assert len(attempts) == 1  # the second was answered without waiting on another try
        time.sleep(0.35)
        assert client.post(rx.url, content=body, headers=sent).json() == {"stored": True}
        assert len(attempts) == 2
    finally:
        rx.stop()


def test_a_store_error_is_logged_without_the_row_it_quotes() -> None:
    from cockpit.ci.receiver import loggable

    error = StoreError('event store postgresql://ci@db/ci: storing a delivery failed: null value '
                       'in column "event" violates not-null constraint\nDETAIL:  Failing row '
                       'contains (3f1c…, {"zen": "secret payload"}).\n\tIs it running?')
    assert loggable(error) == ('event store postgresql://ci@db/ci: storing a delivery failed: '
                               'null value in column "event" violates not-null constraint '
                               'Is it running?')
    assert loggable(StoreError("x" * 2000)).endswith("x…")


class _Unwell:
    """A store that opens but cannot write (as a full disk or a lost server would)."""

    dialect = "sqlite"
    display_url = "sqlite:///unwell"

    def ingest(self, delivery: object) -> bool:
        raise StoreError("event store unwell: storing a delivery failed: disk I/O error")

    def query(self, sql: str, params: object = None) -> list[dict[str, Any]]:
        raise StoreError("event store unwell: a query failed")

    def close(self) -> None:
        pass


def test_healthz_answers_with_the_dialect_or_503(receiver: ReceiverHandle,
                                                 client: httpx.Client, store_url: str) -> None:
    health = client.get(receiver.base_url + "/healthz")
    assert health.status_code == 200
    assert health.json() == {"ok": True, "store": store_url.split(":", 1)[0]}
    unwell = ReceiverHandle(receiver_app(lambda: _Unwell(), SECRET))  # type: ignore[arg-type,return-value]
    unwell.start()
    try:
        assert client.get(unwell.base_url + "/healthz").status_code == 503
        body = body_of(workflow_job("queued"))
        assert client.post(unwell.url, content=body, headers=headers(body)).status_code == 503
    finally:
        unwell.stop()


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        receiver_app(lambda: _Unwell(), "")  # type: ignore[arg-type,return-value]


# -- cockpit ci serve, killed ---------------------------------------------------------------------


class Serve:
    """``cockpit ci serve`` as a process; ``url`` read from its start-up line."""

    def __init__(self, database: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "screens.main", "ci", "serve", "--database", database,
             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env, cwd=ROOT)
        assert self.proc.stdout is not None
        self.banner = self.proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+/webhook)", self.banner)
        if not found:
            self.proc.kill()
            raise AssertionError(f"no URL in {self.banner!r}: {self.proc.communicate()}")
        self.url = found.group(1)


def serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    drop = ("COCKPIT_CI_WEBHOOK_SECRET", "COCKPIT_CI_DATABASE")
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return {**base, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "HOME": str(tmp_path), **extra}


def test_serve_without_a_secret_exits_2_with_the_fix(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "screens.main", "ci", "serve", "--database",
                           f"sqlite:///{tmp_path / 'x.sqlite3'}", "--port", "0"],
                          capture_output=True, text=True, env=serve_env(tmp_path), cwd=ROOT,
                          timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert "cockpit login ci-webhook" in done.stderr
    assert "COCKPIT_CI_WEBHOOK_SECRET" in done.stderr


def test_a_killed_receiver_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    env = serve_env(tmp_path, COCKPIT_CI_WEBHOOK_SECRET=SECRET)
    serve = Serve(database, env)
    assert "store: sqlite:///" in serve.banner
    sent: dict[str, bytes] = {}
    acknowledged: set[str] = set()
    lock = threading.Lock()

    def post(client: httpx.Client, url: str, n: int) -> bool:
        body = body_of(workflow_job("completed", repo="acme/widgets", name=f"job-{n}"))
        sent_headers = headers(body)
        delivery_id = sent_headers["X-GitHub-Delivery"]
        with lock:
            sent[delivery_id] = body
        try:
            answer = client.post(url, content=body, headers=sent_headers)
        except httpx.HTTPError:
            return False
        if answer.status_code == 200:
            with lock:
                acknowledged.add(delivery_id)
        return True

    with httpx.Client(timeout=5) as client:
        for n in range(20):
            assert post(client, serve.url, n)
    assert len(acknowledged) == 20

    counter = iter(range(20, 100_000))
    stop = threading.Event()

    def sender() -> None:
        with httpx.Client(timeout=5) as own:
            while not stop.is_set() and post(own, serve.url, next(counter)):
                pass

    senders = [threading.Thread(target=sender) for _ in range(4)]
    for thread in senders:
        thread.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    serve.proc.send_signal(signal.SIGKILL)  # mid-request: the senders are still posting
    serve.proc.wait(10)
    stop.set()
    for thread in senders:
        thread.join(10)
    assert len(sent) > len(acknowledged) >= 60  # some were in flight when it died

    again = Serve(database, env)
    store = open_store(database)
    try:
        for delivery_id in acknowledged:
            assert store.has_delivery(uuid.UUID(delivery_id)), delivery_id
        rows = {r["delivery_id"]: r for r in store.query("SELECT delivery_id, payload FROM events")}
        for delivery_id, row in rows.items():  # acknowledged or not, every row is whole
            assert json.loads(row["payload"]) == json.loads(sent[delivery_id])
        jobs = store.query("SELECT COUNT(*) AS n FROM workflow_jobs")[0]["n"]
        assert jobs == len(rows)  # no raw row without its index row, nor the reverse
        # What was not acknowledged, GitHub would redeliver: the restarted receiver takes it.
        with httpx.Client(timeout=5) as client:
            for delivery_id in set(sent) - acknowledged:
                body = sent[delivery_id]
                answer = client.post(again.url, content=body,
                                     headers=headers(body, delivery_id=delivery_id))
                assert answer.status_code == 200
        assert count(store) == len(sent)
    finally:
        store.close()
        again.proc.send_signal(signal.SIGINT)  # ^C: a clean stop, exit 0
        out, err = again.proc.communicate(timeout=15)
    assert again.proc.returncode == 0, err
    assert "cockpit ci serve: stopped" in err
    assert re.search(r"workflow_job completed acme/widgets [0-9a-f-]{36} (stored|duplicate) ", err)
    assert SECRET not in out + err + serve.banner


def test_login_keeps_the_secret_in_the_keyring_where_serve_finds_it(tmp_path: Path) -> None:
    env = serve_env(tmp_path, PYTHON_KEYRING_BACKEND="tests.security.file_keyring.FileKeyring",
                    COCKPIT_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"))

    def cockpit(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "screens.main", *args], input=stdin,
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
                              check=False)

    stored = cockpit("login", "--stdin", "ci-webhook", stdin=SECRET + "\n")
    assert stored.returncode == 0, stored.stderr
    assert "not verified: no service can check a webhook secret" in stored.stdout
    assert "stored the ci-webhook secret in the system keyring" in stored.stdout
    status = cockpit("login", "--status")
    assert "ci-webhook keyring: " in status.stdout
    serve = Serve(f"sqlite:///{tmp_path / 'events.sqlite3'}", env)
    try:
        body = body_of(workflow_job("queued"))
        assert httpx.post(serve.url, content=body, headers=headers(body),
                          timeout=10).json() == {"stored": True}
    finally:
        serve.proc.send_signal(signal.SIGTERM)
        out, err = serve.proc.communicate(timeout=15)
    assert serve.proc.returncode == 0, err
    assert SECRET not in stored.stdout + stored.stderr + status.stdout + out + err


def test_doctor_says_where_the_webhook_secret_is_and_never_fails_on_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.doctor import signing_secret_finding
    from cockpit.secrets import STORE

    STORE.forget()
    monkeypatch.delenv("COCKPIT_CI_WEBHOOK_SECRET", raising=False)
    missing = signing_secret_finding("ci-webhook")
    assert missing.level == "ok" and "only `cockpit ci serve` needs it" in missing.detail
    monkeypatch.setenv("COCKPIT_CI_WEBHOOK_SECRET", SECRET)
    found = signing_secret_finding("ci-webhook")
    assert found.level == "ok" and "[$COCKPIT_CI_WEBHOOK_SECRET]" in found.detail
    assert SECRET not in found.detail


def test_serve_evaluates_alerts_when_a_delivery_lands(tmp_path: Path) -> None:
    """``cockpit ci serve`` evaluates its rules on ingest: a job queued an hour ago with no
    runner fires the stuck-job rule within seconds, once, without waiting for the minute."""
    from datetime import UTC, datetime, timedelta

    from cockpit.ci.store import open_store

    database = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nname = "stuck-job"\nmetric = "stuck"\nminutes = 30\n')
    env = serve_env(tmp_path, COCKPIT_CI_WEBHOOK_SECRET=SECRET)
    proc = subprocess.Popen([sys.executable, "-m", "screens.main", "ci", "serve", "--database",
                             database, "--port", "0", "--rules", str(rules)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=ROOT)
    try:
        assert proc.stdout is not None
        url = re.search(r"(http://127\.0\.0\.1:\d+/webhook)", proc.stdout.readline())
        assert url, proc.stderr
        queued = datetime.now(UTC) - timedelta(hours=1)
        body = body_of(workflow_job("queued", repo="acme/widgets", name="e2e",
                                    labels=["self-hosted", "linux"], created_at=queued))
        with httpx.Client(timeout=10) as client:
            assert client.post(url.group(1), content=body, headers=headers(body)).json() == \
                {"stored": True}
        store = open_store(database)
        try:
            deadline = time.monotonic() + 20
            while not (fired := store.query("SELECT rule, scope, resolved_at FROM alerts")) \
                    and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            store.close()
        assert [(a["rule"], a["resolved_at"]) for a in fired] == [("stuck-job", None)]
        assert "acme/widgets" in fired[0]["scope"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_with_a_broken_rules_file_exits_2_naming_it(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nname = "x"\nmetric = "stuk"\n')
    done = subprocess.run([sys.executable, "-m", "screens.main", "ci", "serve", "--database",
                           f"sqlite:///{tmp_path / 'x.sqlite3'}", "--port", "0", "--rules",
                           str(rules)], capture_output=True, text=True,
                          env=serve_env(tmp_path, COCKPIT_CI_WEBHOOK_SECRET=SECRET), cwd=ROOT,
                          timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert "rules.toml" in done.stderr and "metric" in done.stderr
