"""A real PostgreSQL server for the CI-health tests, and the store fixtures both stores share.

The server is Debian's ``postgresql`` binaries started once per session in a temporary
directory on 127.0.0.1 (a free port, trust auth for loopback, fsync off: the data is thrown
away), only when a test asks for it. initdb refuses to run as root, so as root the server runs
as the ``postgres`` system user the package creates (or ``nobody``). Each test gets a fresh
database (``CREATE DATABASE`` takes ~30 ms). Without the binaries the PostgreSQL tests are
skipped on a laptop, but under ``CI=true`` that is a failure: the PostgreSQL store must be
proven there.

Fixtures: ``pg_server`` (session), ``own_pg_server`` (one test's, to stop and start: an
outage), ``pg_url`` (a fresh database), ``sqlite_url`` (a file under tmp_path), ``store_url``
(each test twice: ids ``sqlite`` and ``postgresql``), ``make_store`` (opens and migrates a store
by URL; closed after the test) and ``store`` (``make_store(store_url)``).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cockpit.ci.store import Store, open_store

SETUP_HINT = ("install Debian's `postgresql` package (its server binaries: initdb, pg_ctl, "
              "postgres under /usr/lib/postgresql/*/bin), or set COCKPIT_PG_BINDIR")


def in_ci() -> bool:
    """``CI`` as CI services set it: GitHub and GitLab say ``true``, others ``1`` or ``yes``."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def find_bindir() -> Path | None:
    """Where initdb and pg_ctl are: $COCKPIT_PG_BINDIR alone when set, else ``pg_config
    --bindir``, else the newest of Debian's /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    if os.environ.get("COCKPIT_PG_BINDIR"):
        candidates.append(os.environ["COCKPIT_PG_BINDIR"])
        return _first_bindir(candidates)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                   timeout=10, check=True)
            candidates.append(found.stdout.strip())
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    debian.sort(key=lambda path: int(Path(path).parent.name) if Path(path).parent.name.isdigit()
                else 0, reverse=True)
    candidates.extend(debian)
    return _first_bindir(candidates)


def _first_bindir(candidates: list[str]) -> Path | None:
    for candidate in candidates:
        bindir = Path(candidate)
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A throwaway server: ``url(db)`` names a database on it (user ``postgres``, no password)."""

    bindir: Path
    root: Path
    port: int
    run_as: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.run_as is not None:
            kwargs = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if self.run_as is not None:
            env["HOME"] = str(self.root)
        done: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
            args, capture_output=True, text=True, timeout=timeout, env=env, cwd=self.root,
            check=False, **kwargs)
        return done

    def initdb(self) -> None:
        made = self.run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                        "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync",
                        "--no-instructions")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{made.stdout}\n{made.stderr}")

    def start(self) -> None:
        """Start (initdb first if need be); a restart keeps the port, so URLs stay valid."""
        if not (self.data / "PG_VERSION").is_file():
            self.initdb()
        for _attempt in range(1 if self.port else 5):
            self.port = self.port or _free_port()
            options = (f"-k {self.root} -h 127.0.0.1 -p {self.port} -F -c fsync=off "
                       "-c full_page_writes=off -c synchronous_commit=off -c max_connections=200")
            started = self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                               str(self.root / "server.log"), "-w", "-t", "30", "-o", options,
                               "start")
            if started.returncode == 0:
                return
            self.port = 0
        log = (self.root / "server.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{log}")

    def stop(self, mode: str = "fast") -> None:
        """Stop: ``fast`` drops the clients' connections and keeps every commit (with
        synchronous_commit off, ``immediate`` may lose the last ones: fine only at the end)."""
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "stop")


def _server_user() -> pwd.struct_passwd | None:
    """None when not root (run as ourselves); else ``postgres`` (Debian's), else ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root with neither a `postgres` nor a `nobody` user for initdb")


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A server of its own in a temporary directory, stopped and deleted afterwards."""
    bindir = find_bindir()
    if bindir is None:
        message = f"no PostgreSQL server binaries: {SETUP_HINT}"
        if in_ci():
            pytest.fail(f"{message} (CI is set: the PostgreSQL store must be tested)")
        pytest.skip(message)
    run_as = _server_user()
    # Short and world-traversable, unlike pytest's 0700 tmp dirs: the server's user must get
    # in, and the socket path must stay under ~100 bytes.
    root = Path(tempfile.mkdtemp(prefix="cockpit-pg-", dir="/tmp" if Path("/tmp").is_dir() else None))
    try:
        if run_as is not None:
            os.chown(root, run_as.pw_uid, run_as.pw_gid)
        server = PostgresServer(bindir=bindir, root=root, port=0, run_as=run_as)
        server.start()
        try:
            yield server
        finally:
            server.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """The session's shared server (started on first use, ~1 s)."""
    with running_server() as server:
        yield server


@pytest.fixture
def own_pg_server() -> Iterator[PostgresServer]:
    """A server for one test alone, which it may ``stop()`` and ``start()`` (an outage)."""
    with running_server() as server:
        yield server


_databases = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the session's server (dropped after the test)."""
    import psycopg

    name = f"cockpit_test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(pg_server.url(), autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    with psycopg.connect(pg_server.url(), autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A store file that does not exist yet, in a directory that does not either."""
    return f"sqlite:///{tmp_path / 'ci' / 'events.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The test runs on each store: a fresh SQLite file, then a fresh PostgreSQL database."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


@pytest.fixture
def make_store() -> Iterator[Callable[[str], Store]]:
    """``make_store(url)``: an opened, migrated store, closed when the test ends."""
    opened: list[Store] = []

    def make(url: str) -> Store:
        store = open_store(url)
        opened.append(store)
        return store

    yield make
    for store in reversed(opened):
        with contextlib.suppress(Exception):
            store.close()


@pytest.fixture
def store(store_url: str, make_store: Callable[[str], Store]) -> Store:
    """An opened store on each backend (see ``store_url``)."""
    return make_store(store_url)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
