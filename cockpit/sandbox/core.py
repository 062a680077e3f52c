"""The sandbox's state and options, independent of any server loop.

``Sandbox`` owns the data directory (bare repositories + world.json), the fault
injector, the request log and the workflow simulator. ``cockpit.sandbox.server``
puts an ASGI app in front of it; ``cockpit demo`` and tests reach it through
``cockpit.sandbox.inprocess`` (and ``cockpit.sandbox.testing``).
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.sandbox.faults import FaultInjector, FaultSpec
from cockpit.sandbox.gitstore import BareRepo
from cockpit.sandbox.holds import RequestHold
from cockpit.sandbox.objects import Shapes
from cockpit.sandbox.seed import ADMIN_LOGIN, REVIEWER_LOGIN, copy_seed, upgrade
from cockpit.sandbox.services import DISCORD_TOKEN
from cockpit.sandbox.tls import TlsFiles, ensure_certificates
from cockpit.sandbox.webhooks import Webhooks
from cockpit.sandbox.workflows import Simulator
from cockpit.sandbox.world import REPOS_DIR, WORLD_FILE, Json, World

API_PREFIX = "/api/v3"
"""GitHub Enterprise's layout: the REST API under /api/v3, git at the root."""

SERVICE_PREFIXES = {
    "discourse": "/discourse", "discord": "/discord", "reddit": "/reddit",
    "matrix": "/matrix", "docker": "/docker", "npm": "/npm", "dist": "/dist",
    "pypi": "/pypi", "crates": "/crates",
}

WEB_PREFIXES = {"slack": "/slack", "npmjs": "/npmjs", "metrics": "/metrics"}
"""Web sites the cockpit only links to (no API): their pages are the sandbox's stand-in
pages (see ``cockpit.sandbox.web``), so a link the demo shows stays on 127.0.0.1."""


@dataclass
class SandboxOptions:
    data_dir: Path | None = None
    """Where the repositories and world.json live; a fresh temp dir when None."""
    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    faults: str = ""
    """A fault SPEC (see ``cockpit.sandbox.faults``)."""
    latency_ms: int = 0
    search_lag_seconds: float = 0.0
    """GitHub's search index lags behind writes: ``/search/issues`` does not find an issue
    created less than this long ago (its listings do)."""
    workflow_seconds: float | None = None
    """If set, every workflow run takes this long (queued for the first fifth)."""
    time_scale: float = 0.01
    """Otherwise runs take their realistic duration times this (docker: 900 s → 9 s)."""
    fail_workflows: list[str] = field(default_factory=list)
    """``owner/repo:workflow.yml`` entries whose runs conclude with failure."""
    webhook_url: str | None = None
    """The App hook (``cockpit.sandbox.webhooks``): every repository's ``workflow_run``
    and ``workflow_job`` deliveries go here (a loopback URL), signed with ..."""
    webhook_secret: str = ""
    """... this secret (``X-Hub-Signature-256``); empty: unsigned, as on GitHub."""
    queue_spike: dict[str, float] = field(default_factory=dict)
    """``{"owner/repo": factor}``: that repository's jobs wait ``factor`` times longer
    for a runner."""
    creep: dict[str, float] = field(default_factory=dict)
    """``{"owner/repo:workflow.yml[:job]": fraction}``: those jobs run for ``fraction``
    of their ``timeout-minutes`` (times ``time_scale``); 1 or more times them out."""
    drop_deliveries: int = 0
    """The first N workflow deliveries are dropped (not sent; recorded as failed)."""
    drop_fraction: float = 0.0
    """Each workflow delivery is dropped with this probability (``drop_seed``)."""
    drop_seed: int = 0
    drop_visible: bool = True
    """Dropped deliveries show as failed attempts in the deliveries API; False: no trace,
    like a webhook GitHub never sent."""
    rate_limit: int = 5000
    """Requests per hour per token, GitHub's primary limit (``github.ratelimit``); a
    request past it gets GitHub's 403 until the hour resets."""
    secondary_writes: int = 80
    """Content-creating requests per minute per token before GitHub's secondary limit
    (403 with ``retry-after``)."""
    tick_seconds: float = 0.25
    """How often the server's ticker advances the simulator and sends what is due."""
    tls: bool = False
    """Serve HTTPS with a CA and certificate kept in ``DATA/tls`` (``cockpit.sandbox.tls``):
    what the GitHub CLI needs for a host other than github.com."""


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        if self.options.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="cockpit-sandbox-"))
            self.owns_data = True
        else:
            self.data_dir = self.options.data_dir
            self.owns_data = False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.tls: TlsFiles | None = ensure_certificates(self.data_dir) \
            if self.options.tls else None
        """The CA and server certificate when serving HTTPS, else None."""
        if not (self.data_dir / WORLD_FILE).exists():
            copy_seed(self.data_dir)
        self.world = World.load(self.data_dir)
        upgrade(self.world)
        self.repos = {full: BareRepo(self.data_dir / REPOS_DIR / f"{full}.git")
                      for full in self.world.data["repos"]}
        spec = FaultSpec.parse(self.options.faults)
        if self.options.latency_ms:
            spec.latency_ms = self.options.latency_ms
        self.faults = FaultInjector(spec)
        self.hold = RequestHold()
        """Crash tests: hold the N-th mutating request while the client is killed."""
        self.log_lock = threading.Lock()
        self.request_log: list[Json] = []
        self.rate_used: dict[str, int] = {}
        self.rate_reset = int(time.time()) + 3600
        self.write_times: dict[str, list[float]] = {}
        self.base_url = ""
        self.sim = Simulator(self)
        for item in self.options.fail_workflows:
            repo, _, wf = item.partition(":")
            self.sim.set_outcome(repo, wf, "failure")
        for repo, factor in self.options.queue_spike.items():
            self.sim.set_queue_spike(repo, factor)
        for target, fraction in self.options.creep.items():
            self.sim.set_creep(target, fraction)
        self.webhooks = Webhooks(self)

    # -- addresses --------------------------------------------------------------

    def bind(self, host: str, port: int) -> None:
        """Where the server listens: the URLs every shape and ``env`` are built from."""
        scheme = "https" if self.tls else "http"
        self.base_url = f"{scheme}://{host}:{port}"

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: the GitHub host a client names (``GH_HOST``)."""
        return self.base_url.partition("://")[2]

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def git_base_url(self) -> str:
        return self.base_url

    @property
    def shapes(self) -> Shapes:
        return Shapes(self.api_url, self.base_url, self.world)

    def token(self, scope: str, login: str | None = None) -> str:
        return str(next(t for t, v in self.world.data["tokens"].items()
                        if v["scope"] == scope and login in (None, v["login"])))

    @property
    def admin_token(self) -> str:
        return self.token("write")

    @property
    def readonly_token(self) -> str:
        return self.token("read")

    @property
    def reviewer_token(self) -> str:
        """The second maintainer's (``release-reviewer``): reviews, never drives."""
        return self.token("write", REVIEWER_LOGIN)

    def issue_token(self, scope: str, login: str = ADMIN_LOGIN) -> str:
        """A new bearer token (``scope`` is ``write`` or ``read``)."""
        import secrets

        token = f"ghp_sandbox{scope}{secrets.token_hex(12)}"
        with self.world.lock:
            self.world.data["tokens"][token] = {"login": login, "scope": scope}
        self.world.save()
        return token

    def env(self) -> dict[str, str]:
        """The ``COCKPIT_*`` environment a cockpit needs to talk to this sandbox, and over
        HTTPS what every other client needs too (``client_env``)."""
        return {**self._cockpit_env(), **self.client_env()}

    def client_env(self) -> dict[str, str]:
        """Over HTTPS: what makes ``gh``, git, curl and Python trust the sandbox's CA and
        name it as GitHub host (empty over plain HTTP, which ``gh`` refuses to use).

        ``SSL_CERT_FILE`` is read by OpenSSL (curl, Python, httpx: the cockpit itself) and
        by Go (``gh``); ``REQUESTS_CA_BUNDLE`` by requests; ``CURL_CA_BUNDLE`` by curl (built with a CA path
        of its own); ``GIT_SSL_CAINFO`` by git; ``npm_config_cafile`` by npm (which ignores Node's
        ``NODE_EXTRA_CA_CERTS``, given too for other Node clients)."""
        if self.tls is None:
            return {}
        ca = str(self.tls.ca_cert)
        return {"SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca, "CURL_CA_BUNDLE": ca,
                "GIT_SSL_CAINFO": ca, "NODE_EXTRA_CA_CERTS": ca, "npm_config_cafile": ca,
                "GH_HOST": self.host, "GH_ENTERPRISE_TOKEN": self.admin_token}

    def _cockpit_env(self) -> dict[str, str]:
        b = self.base_url
        discord = self.world.data["discord"]
        return {
            "COCKPIT_GITHUB_API_URL": self.api_url,
            "COCKPIT_GIT_BASE_URL": self.git_base_url,
            "COCKPIT_GITHUB_TOKEN": self.admin_token,
            "COCKPIT_REVIEWER_TOKEN": self.reviewer_token,
            "COCKPIT_DISCOURSE_URL": b + SERVICE_PREFIXES["discourse"],
            "COCKPIT_DISCOURSE_TOKEN": "sandbox-discourse-key",
            "COCKPIT_DISCORD_WEBHOOK_URL":
                f"{b}/discord/api/webhooks/{discord.get('webhook_id', '1000')}/{DISCORD_TOKEN}",
            "COCKPIT_DISCORD_WEBHOOK":
                f"{b}/discord/api/webhooks/{discord.get('webhook_id', '1000')}/{DISCORD_TOKEN}",
            "COCKPIT_REDDIT_URL": b + SERVICE_PREFIXES["reddit"],
            "COCKPIT_REDDIT_TOKEN": "sandbox-reddit-token",
            "COCKPIT_MATRIX_URL": b + SERVICE_PREFIXES["matrix"],
            "COCKPIT_MATRIX_TOKEN": "sandbox-matrix-token",
            "COCKPIT_DOCKER_REGISTRY_URL": b + SERVICE_PREFIXES["docker"],
            "COCKPIT_NPM_REGISTRY_URL": b + SERVICE_PREFIXES["npm"],
            "COCKPIT_DIST_URL": b + SERVICE_PREFIXES["dist"],
            "COCKPIT_PYPI_URL": b + SERVICE_PREFIXES["pypi"],
            "COCKPIT_CRATES_URL": b + SERVICE_PREFIXES["crates"],
            # Where links point (web pages, not APIs): all on this sandbox.
            "COCKPIT_DISCORD_URL": b + SERVICE_PREFIXES["discord"],
            "COCKPIT_REDDIT_WEB_URL": b + SERVICE_PREFIXES["reddit"],
            "COCKPIT_SLACK_URL": b + WEB_PREFIXES["slack"],
            "COCKPIT_NPM_WEB_URL": b + WEB_PREFIXES["npmjs"],
            "COCKPIT_METRICS_URL": b + WEB_PREFIXES["metrics"],
            "COCKPIT_BLOG_URL": b + "/blog",
        }

    # -- inspection -------------------------------------------------------------

    def log_request(self, entry: Json) -> None:
        with self.log_lock:
            entry["seq"] = len(self.request_log) + 1
            self.request_log.append(entry)

    def requests(self) -> list[Json]:
        with self.log_lock:
            return copy.deepcopy(self.request_log)

    def clear_requests(self) -> None:
        with self.log_lock:
            self.request_log.clear()

    def state(self) -> Json:
        """The world document plus, per repository, its branches and tags from git."""
        self.sim.tick()
        snap = self.world.snapshot()
        for full, repo in snap["repos"].items():
            git = self.repos[full]
            repo["branches"] = git.branches()
            repo["tags"] = {name: git.resolve(f"refs/tags/{name}") for name in git.tags()}
            repo["pulls"] = [i for i in repo["issues"] if i["pull"]]
        snap.pop("tokens", None)
        for hook in snap.get("webhooks", {}).get("hooks", []):
            if hook["config"].get("secret"):
                hook["config"]["secret"] = "********"
        return snap

    def cleanup(self) -> None:
        if self.owns_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def describe(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "api_url": self.api_url,
                "git_base_url": self.git_base_url, "data_dir": str(self.data_dir),
                "faults": str(self.faults.spec),
                "ca_cert": str(self.tls.ca_cert) if self.tls else None}
