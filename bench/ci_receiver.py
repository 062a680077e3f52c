"""CI webhook receiver: acknowledgement latency at 200 deliveries/s, and the most it sustains.

``cockpit ci serve`` runs as its own process (so the load generator does not share its GIL),
on a fresh SQLite file and on a fresh PostgreSQL database (a throwaway server started here
with the distribution's defaults — fsync on — unless ``--pg-url`` names one). The deliveries
are GitHub-shaped ``workflow_run``/``workflow_job`` bodies (a run requested, its job queued,
in progress, completed, the run completed), signed before the clock starts, each with a fresh
delivery id, so every one is a new raw row plus an index upsert.

- open loop: deliveries sent at fixed intervals (``--rate``, default 200/s) for 30 s (``--quick``:
  5 s) whether or not earlier ones were answered; latency runs from the moment a delivery was
  due, so a receiver that falls behind shows it (no coordinated omission);
- closed loop: N senders (threads, one keep-alive connection each) posting back to back
  (``--senders``, default 8 and 32): the most deliveries/s the receiver acknowledges. The
  load generator shares the 2-core machine (~0.2 core at the top), so this is a floor.

    python bench/ci_receiver.py [--markdown] [--quick] [--pg-url postgresql://…]
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import http.client
import itertools
import json
import os
import pwd
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, machine_markdown

sys.path.insert(0, str(REPO))

import httpx

from cockpit.ci.signature import sign
from cockpit.ci.store import open_store, redact_url

SECRET = "bench-secret-" + uuid.uuid4().hex
BODIES = 2000
"""Distinct signed bodies, cycled with fresh delivery ids."""


# -- what is sent ----------------------------------------------------------------------------


def bodies(n: int) -> list[tuple[str, bytes, str]]:
    """(event, body, signature) for ``n`` deliveries: runs of five deliveries each."""
    from tests.ci.payloads import T0, minutes, workflow_job, workflow_run

    out: list[tuple[str, bytes, str]] = []
    runs = 0
    while len(out) < n:
        runs += 1
        run_id, job_id = 9_000_000 + runs, 19_000_000 + runs
        start, done = T0 + minutes(runs % 600), T0 + minutes(runs % 600 + 4)
        repo = f"acme/repo-{runs % 20}"
        labels = ("self-hosted", "linux") if runs % 4 == 0 else ("ubuntu-latest",)
        for event, payload in (
            ("workflow_run", workflow_run("requested", run_id=run_id, repo=repo,
                                          created_at=start)),
            ("workflow_job", workflow_job("queued", job_id=job_id, run_id=run_id, repo=repo,
                                          labels=labels, created_at=start)),
            ("workflow_job", workflow_job("in_progress", job_id=job_id, run_id=run_id,
                                          repo=repo, labels=labels, created_at=start,
                                          started_at=start + minutes(1))),
            ("workflow_job", workflow_job("completed", job_id=job_id, run_id=run_id, repo=repo,
                                          labels=labels, created_at=start,
                                          started_at=start + minutes(1), completed_at=done)),
            ("workflow_run", workflow_run("completed", run_id=run_id, repo=repo,
                                          created_at=start, updated_at=done)),
        ):
            body = json.dumps(payload).encode()
            out.append((event, body, sign(SECRET, body)))
    return out[:n]


def headers(event: str, signature: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-GitHub-Event": event,
            "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": signature,
            "User-Agent": "GitHub-Hookshot/bench"}


# -- the receiver and the databases -----------------------------------------------------------


class Receiver:
    """``cockpit ci serve --port 0`` on ``database``; its log goes to a file."""

    def __init__(self, database: str, workdir: Path) -> None:
        env = {**os.environ, "COCKPIT_CI_WEBHOOK_SECRET": SECRET, "HOME": str(workdir),
               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
        self.log = (workdir / "receiver.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "screens.main", "ci", "serve", "--database", database,
             "--port", "0"], stdout=subprocess.PIPE, stderr=self.log, text=True, env=env,
            cwd=REPO)
        assert self.proc.stdout is not None
        banner = self.proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/webhook", banner)
        if not found:
            self.stop()
            raise RuntimeError(f"cockpit ci serve did not start: {banner!r} "
                               f"{(workdir / 'receiver.log').read_text()[-2000:]}")
        self.base_url = found.group(1)
        self.url = self.base_url + "/webhook"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@dataclass
class Postgres:
    """A throwaway server (initdb + pg_ctl in a temporary directory, 127.0.0.1, a free port)."""

    root: Path
    bindir: Path
    port: int = 0
    run_as: pwd.struct_passwd | None = None

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {}
        if self.run_as is not None:
            extra = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
        return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False,
                              cwd=self.root, env={**os.environ, "LC_ALL": "C",
                                                  "HOME": str(self.root)}, **extra)

    def start(self) -> None:
        data = str(self.root / "data")
        made = self.run(str(self.bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--locale=C", "--no-instructions")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr[-1000:]}")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        started = self.run(str(self.bindir / "pg_ctl"), "-D", data, "-l",
                           str(self.root / "server.log"), "-w", "-t", "60", "-o",
                           f"-k {self.root} -h 127.0.0.1 -p {self.port}", "start")
        if started.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {started.stderr[-1000:]}")

    def stop(self) -> None:
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast",
                 "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def pg_bindir() -> Path | None:
    for candidate in [os.environ.get("COCKPIT_PG_BINDIR", ""),
                      *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if candidate and all((Path(candidate) / t).is_file() for t in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[Postgres]:
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries (Debian's `postgresql`, or "
                           "COCKPIT_PG_BINDIR); or pass --pg-url")
    root = Path(tempfile.mkdtemp(prefix="cockpit-bench-pg-", dir="/tmp"))
    run_as = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    if run_as is not None:
        os.chown(root, run_as.pw_uid, run_as.pw_gid)
    server = Postgres(root, bindir, run_as=run_as)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def fresh_pg_database(base_url: str, name: str) -> str:
    """A new database on the server ``base_url`` names; its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(base_url, autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = base_url.rsplit("/", 1)
    return f"{parts[0]}/{name}"


# -- load -----------------------------------------------------------------------------------


@dataclass
class Result:
    store: str
    mode: str
    offered: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    """Seconds, of the deliveries answered 200."""
    errors: dict[str, int] = field(default_factory=dict)
    stored: int | None = None
    load: float = 0.0
    """The 1-minute load average when it started (other work on the machine skews it)."""

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        rank = max(1, -(-len(ordered) * q // 1))
        return ordered[min(int(rank), len(ordered)) - 1]

    def row(self) -> str:
        ok = len(self.latencies)
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(self.errors.items())) or "0"
        if not ok:
            return f"| {self.store} | {self.mode} | {self.offered} | 0 | 0 | {errors} | n/a |" \
                   f" n/a | n/a | n/a | n/a | {self.load:.1f} |"
        ms = [self.quantile(q) * 1e3 for q in (0.5, 0.9, 0.99)]
        return (f"| {self.store} | {self.mode} | {self.offered} | {ok / self.seconds:.0f} | {ok} "
                f"| {errors} | {ms[0]:.1f} | {ms[1]:.1f} | {ms[2]:.1f} | "
                f"{max(self.latencies) * 1e3:.1f} | {self.stored if self.stored is not None else '?'} "
                f"| {self.load:.1f} |")


class Sender:
    """One keep-alive connection (plain ``http.client``: httpx's async pool costs more CPU per
    request as concurrency grows, and once a hiccup raised the number in flight the load
    generator spiralled into being the bottleneck itself)."""

    def __init__(self, url: str, result: Result, lock: threading.Lock) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port, parts.path
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        self.result, self.lock = result, lock
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}

    def post(self, item: tuple[str, bytes, str], since: float) -> None:
        """Send one delivery; its latency counts from ``since``."""
        event, body, signature = item
        try:
            self.conn.request("POST", self.path, body, headers(event, signature))
            answer = self.conn.getresponse()
            answer.read()
        except (OSError, http.client.HTTPException) as exc:
            self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
            self.conn.close()
            return
        if answer.status == 200:
            self.latencies.append(time.perf_counter() - since)
        else:
            self.errors[str(answer.status)] = self.errors.get(str(answer.status), 0) + 1

    def close(self) -> None:
        self.conn.close()
        with self.lock:
            self.result.latencies += self.latencies
            for key, n in self.errors.items():
                self.result.errors[key] = self.result.errors.get(key, 0) + n


def open_loop(url: str, items: list[tuple[str, bytes, str]], rate: float, seconds: float,
              result: Result, workers: int = 64) -> None:
    """One delivery due every 1/rate s, handed to a free sender whether or not earlier ones
    were answered; latency counts from when it was due (a backlog shows as latency)."""
    due_queue: queue.SimpleQueue[tuple[float, int] | None] = queue.SimpleQueue()
    lock = threading.Lock()

    def worker() -> None:
        sender = Sender(url, result, lock)
        try:
            while (job := due_queue.get()) is not None:
                due, n = job
                sender.post(items[n % len(items)], due)
        finally:
            sender.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.05
    for n in range(int(rate * seconds)):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due_queue.put((due, n))
    for _ in threads:
        due_queue.put(None)
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - start


def closed_loop(url: str, items: list[tuple[str, bytes, str]], senders: int,
                seconds: float, result: Result) -> None:
    """``senders`` threads posting back to back, each on its own connection, for ``seconds``."""
    counter = itertools.count()
    lock = threading.Lock()
    start = time.perf_counter()
    stop = start + seconds

    def run() -> None:
        sender = Sender(url, result, lock)
        try:
            while time.perf_counter() < stop:
                sender.post(items[next(counter) % len(items)], time.perf_counter())
        finally:
            sender.close()

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - start


def warm_up(url: str, items: list[tuple[str, bytes, str]]) -> None:
    with httpx.Client(timeout=10) as client:
        for event, body, signature in items[:20]:
            client.post(url, content=body, headers=headers(event, signature)).raise_for_status()


def measure(store: str, database: str, workdir: Path, items: list[tuple[str, bytes, str]],
            mode: str, run: Any, offered: str) -> Result:
    """Start a receiver on ``database``, warm it, run ``run`` (open or closed loop), count."""
    result = Result(store, mode, offered)
    receiver = Receiver(database, workdir)
    try:
        warm_up(receiver.url, items)
        result.load = os.getloadavg()[0]
        run(receiver.url, result)
    finally:
        receiver.stop()
    opened = open_store(database)
    try:
        result.stored = int(opened.query("SELECT COUNT(*) AS n FROM events")[0]["n"]) - 20
    finally:
        opened.close()
    return result


def bench_store(store: str, database_for: Any, workdir: Path,
                items: list[tuple[str, bytes, str]], args: argparse.Namespace) -> list[Result]:
    seconds = 5.0 if args.quick else args.seconds
    closed_seconds = 3.0 if args.quick else 10.0
    results = [measure(store, database_for("open"), workdir, items, "open loop",
                       lambda url, r: open_loop(url, items, args.rate, seconds, r),
                       f"{args.rate:g}/s for {seconds:g} s")]
    for senders in args.senders:
        results.append(measure(
            store, database_for(f"closed{senders}"), workdir, items, "closed loop",
            lambda url, r, n=senders: closed_loop(url, items, n, closed_seconds, r),
            f"{senders} senders, {closed_seconds:g} s"))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quick", action="store_true", help="5 s open loop, 3 s closed")
    parser.add_argument("--rate", type=float, default=200.0, help="offered deliveries/s")
    parser.add_argument("--seconds", type=float, default=30.0, help="open-loop duration")
    parser.add_argument("--senders", type=int, nargs="+", default=[8, 32],
                        help="closed-loop sender counts")
    parser.add_argument("--pg-url", help="a PostgreSQL server to use (a database "
                                         "cockpit_bench_* is created on it)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    items = bodies(BODIES)
    sizes = sorted(len(body) for _, body, _ in items)
    results: list[Result] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cockpit-bench-rx-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            results += bench_store("SQLite", lambda tag: f"sqlite:///{workdir / tag}.sqlite3",
                                   workdir, items, args)
        if args.only in (None, "postgresql"):
            try:
                with contextlib.ExitStack() as stack:
                    base = args.pg_url or stack.enter_context(throwaway_postgres()).url()
                    where = (redact_url(args.pg_url) if args.pg_url
                             else "a throwaway local server (defaults: fsync on)")
                    notes.append(f"PostgreSQL: {where}")
                    results += bench_store(
                        "PostgreSQL",
                        lambda tag: fresh_pg_database(base, f"cockpit_bench_{tag}"),
                        workdir, items, args)
            except Exception as exc:  # the table says what failed; the other rows still stand
                notes.append(f"PostgreSQL: not measured: {type(exc).__name__}: {exc}")
    lines = ["### ci_receiver", ""]
    if args.markdown:
        lines += [machine_markdown(), ""]
    lines += [
        f"`cockpit ci serve` as its own process; {BODIES} distinct GitHub-shaped "
        f"workflow_run/workflow_job bodies ({sizes[0] // 1024} to {sizes[-1] // 1024} KiB), "
        "signed beforehand, each sent with a fresh delivery id. Latency: from when a delivery "
        "was due (open loop) or sent (closed loop) to its 200. \"stored\": rows the store "
        "holds after the run (must equal the 200s). \"load\": the 1-minute load average as the "
        "phase started (2 cores: above ~1 something else was running).",
        "",
        "| store | mode | offered | sustained /s | 200s | errors | p50 ms | p90 ms | p99 ms "
        "| max ms | stored | load |",
        "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(r.row() for r in results),
    ]
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
