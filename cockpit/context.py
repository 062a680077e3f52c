"""What an action can reach while it runs: the release, services, the log, the human.

One ``Session`` is built per cockpit process (it owns the service clients and
their connections); each action gets a light ``ActionContext`` view of it. The
session is where a service client is made (``github()``, ``discourse()``,
``matrix()``, ``reddit()``, ``docker_hub()``, ``npm()``, ``dist_site()``, ``pypi()``): one
shared, logged, redacted HTTP client per service.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.errors import ReadOnlyViolation
from cockpit.model import Release, Version, VersionFormat, VersionScheme
from cockpit.prompts import Prompt, PromptAnswer, Prompter
from cockpit.secrets import SERVICES, Redactor, find_token
from cockpit.settings import Settings

if TYPE_CHECKING:
    from cockpit.services.discourse import DiscourseClient
    from cockpit.services.etag_store import DiskEtagStore
    from cockpit.services.git import GitRepo, GitWorkspace
    from cockpit.services.github import GitHubClient
    from cockpit.services.http import HttpClient, RequestRecord
    from cockpit.services.lookups import DistSite, DockerHub, Npm
    from cockpit.services.matrix import MatrixClient
    from cockpit.services.pypi import PyPI
    from cockpit.services.reddit import RedditClient
    from cockpit.services.usage import RequestUsage

__all__ = ["CURRENT_ACTION", "ActionContext", "ReadOnlyViolation", "Session", "SymbolicVersion",
           "acting"]

CURRENT_ACTION: ContextVar[tuple[str, str | None]] = ContextVar("current_action",
                                                                default=("", None))
"""(stage, action) being checked or applied in this task: service calls log against it.

Whatever is shared by every action (HTTP clients, git clones) reads it when it logs, so
a line is filed under the action of the task that caused it. Set it only with ``acting``:
a bare ``set`` outlives the action in its task and in every task started from it."""


ACTION_HOLDS: ContextVar[list[asyncio.Lock] | None] = ContextVar("action_holds", default=None)
"""What the running action holds until it ends (``Session.hold``); None outside a run."""


@contextmanager
def acting(stage: str, action: str | None) -> Iterator[None]:
    """Within this block, this task (and tasks and threads it starts) acts for ``action``."""
    token = CURRENT_ACTION.set((stage, action))
    try:
        yield
    finally:
        CURRENT_ACTION.reset(token)


class SymbolicVersion:
    """Stands in for a version when explaining a playbook without one, in its scheme:
    ``vX.Y.Z[-rcN]`` (Kubo's semver), ``X.Y.Z[rcN]`` (PEP 440 tagged ``{version}``)."""

    major, minor, patch, rc = "X", "Y", "Z", "N"
    base = "X.Y.Z"
    minor_series = "X.Y"

    def __init__(self, form: VersionFormat | None = None) -> None:
        self.format = form or VersionFormat()
        pep440 = self.format.scheme is VersionScheme.PEP440
        self.number = "X.Y.Z[rcN]" if pep440 else "X.Y.Z[-rcN]"
        self.tag = self.format.tag_of(self.number)
        self.next_dev = "X.(Y+1).0.dev0" if pep440 else "X.(Y+1).0-dev"
        self.next_minor = "X.(Y+1).0"

    def __str__(self) -> str:
        return self.tag


def _new_usage() -> RequestUsage:
    from cockpit.services.usage import RequestUsage  # the services load on first use

    return RequestUsage()


GITHUB_IN_FLIGHT = 16
"""GitHub requests a session has in flight at once (other services: 8). A status asks
~15 REST questions beside its read-ahead query in its first round trip; with 8, half of
them waited a round trip. GitHub's secondary limit is 100 concurrent requests."""

@dataclass
class Session:
    """Per-process shared state: settings, secrets, clients, and the human."""

    settings: Settings
    prompter: Prompter
    release: Release | None = None
    read_only: bool = False
    redact: Redactor = field(default_factory=Redactor)
    emit_log: Callable[[str, str | None, str, str | None], None] = lambda *_: None
    """(stage, action, line, manual equivalent) → the engine turns it into a LogLine."""
    manual_confirmations: set[tuple[str, str]] = field(default_factory=set)
    """(stage, action) pairs a human said they did by hand (restored from the journal)."""
    facts: dict[str, str] = field(default_factory=dict)
    """Things one action's check found that a later action's text needs, by name:
    ``discourse_topic_url``, ``run_url:STAGE/ACTION`` (refilled by every rerun's checks)."""
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)
    """(stage, action) a human skipped before, with the reason (restored from the journal)."""
    version_format: VersionFormat | None = None
    """The playbook's ``[versions]`` (the engine sets it): how ``version`` is written while
    explaining without a release."""
    _git: GitWorkspace | None = None
    _http: dict[str, HttpClient] = field(default_factory=dict)
    _etag_store: DiskEtagStore | None = None
    usage: RequestUsage = field(default_factory=_new_usage)
    """What this session's requests cost (``cockpit status`` and the footer show it)."""
    _exclusive: dict[str, asyncio.Lock] = field(default_factory=dict)

    def exclusive(self, key: str) -> asyncio.Lock:
        """One lock per shared thing of this process (``issue-body:owner/repo#12``): a
        read-modify-write of it by one stage never interleaves with another stage's."""
        return self._exclusive.setdefault(key, asyncio.Lock())

    async def hold(self, key: str) -> None:
        """Hold ``key`` (a clone: ``clone:owner/repo``) until the running action ends, so an
        action of a stage running side by side waits rather than checking out a branch
        under it. Outside a run (read-only checks) nothing is held. Two actions that each
        hold one clone and want the other's would wait for each other: an action that
        uses two clones should open them in name order."""
        holds = ACTION_HOLDS.get()
        lock = self.exclusive(key)
        if holds is None or lock in holds:
            return
        await lock.acquire()
        holds.append(lock)

    def __post_init__(self) -> None:
        self.redact.defer(self._known_secrets)

    def _known_secrets(self) -> list[str | None]:
        """Every token this session could use: looked up (keyring, environment) before
        the first text is redacted, or earlier by ``redact.load()``."""
        return [*(find_token(service) for service in SERVICES),
                self.settings.discord_webhook_url.rsplit("/", 1)[-1] or None]

    def _on_request(self, record: RequestRecord) -> None:
        self.usage.add(record)
        stage, action = CURRENT_ACTION.get()
        status = record.status if record.status is not None else record.error or "no answer"
        cached = " (cached)" if record.from_cache else ""
        self.emit_log(stage, action, f"$ {record.manual}  → {status}{cached}", record.manual)

    def _on_git(self, command: str) -> None:
        """A git command run in a shared clone: filed under the action running it now."""
        stage, action = CURRENT_ACTION.get()
        clean = self.redact(command)
        self.emit_log(stage, action, "$ " + clean, clean)

    def _on_wait(self, seconds: float, reason: str) -> None:
        stage, action = CURRENT_ACTION.get()
        self.emit_log(stage, action, f"waiting {seconds:.0f}s: {reason}", None)

    def http_client(self, service: str, base_url: str, *, token: str | None = None,
                    **options: Any) -> HttpClient:
        """One shared-policy client per service: read-only, redacted, logged, retried."""
        if service not in self._http:
            from cockpit.services.http import HttpClient, RetryPolicy

            options.setdefault("timeout", self.settings.http_timeout_seconds)
            options.setdefault("retry", RetryPolicy(base_delay=self.settings.http_retry_base_seconds))
            options.setdefault("etag_store", self.etag_store())
            self._http[service] = HttpClient(
                base_url, service=service, token=token, redact=self.redact,
                read_only=self.read_only, on_request=self._on_request, on_wait=self._on_wait,
                **options)
        return self._http[service]

    def etag_store(self) -> DiskEtagStore | None:
        """The user's on-disk ETag cache, shared by every client of this session (and, on
        disk, with the user's other cockpit processes); None when turned off."""
        if self._etag_store is None and self.settings.http_disk_cache:
            from cockpit.services.etag_store import DiskEtagStore

            self._etag_store = DiskEtagStore(self.settings.http_cache_dir)
        return self._etag_store

    def github(self) -> GitHubClient:
        from cockpit.services.github import API_VERSION, GitHubClient

        http = self.http_client(
            "github", self.settings.github_api_url, token=find_token("github"),
            manual_style="gh", max_concurrency=GITHUB_IN_FLIGHT,
            headers={"Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": API_VERSION, "User-Agent": "cockpit"})
        return GitHubClient.from_http(http)

    def discourse(self) -> DiscourseClient:
        """The Discourse client: ``Api-Key``/``Api-Username`` headers (the user is
        ``COCKPIT_DISCOURSE_USERNAME``, else ``system``), logged as curl."""
        from cockpit.services.discourse import DiscourseClient

        http = self.http_client(
            "discourse", self.settings.discourse_url, token=find_token("discourse"),
            auth_header="Api-Key", auth_scheme=None,
            headers={"Api-Username": os.environ.get("COCKPIT_DISCOURSE_USERNAME", "system"),
                     "Accept": "application/json"})
        return DiscourseClient.from_http(http)

    def matrix(self) -> MatrixClient:
        """The Matrix client of the release account (a bearer token)."""
        from cockpit.services.matrix import MatrixClient

        return MatrixClient.from_http(self.http_client(
            "matrix", self.settings.matrix_url, token=find_token("matrix")))

    def reddit(self) -> RedditClient:
        """The Reddit client of the release account (OAuth bearer, Reddit's user agent)."""
        from cockpit.services.reddit import USER_AGENT, RedditClient

        return RedditClient.from_http(self.http_client(
            "reddit", self.settings.reddit_url, token=find_token("reddit"),
            headers={"User-Agent": USER_AGENT}))

    def docker_hub(self) -> DockerHub:
        """Docker Hub's repository API, anonymous."""
        from cockpit.services.lookups import DockerHub

        return DockerHub.from_http(self.http_client("docker", self.settings.docker_registry_url))

    def npm(self) -> Npm:
        """The npm registry, anonymous."""
        from cockpit.services.lookups import Npm

        return Npm.from_http(self.http_client("npm", self.settings.npm_registry_url))

    def dist_site(self) -> DistSite:
        """The distribution site (dist.ipfs.tech), anonymous."""
        from cockpit.services.lookups import DistSite

        return DistSite.from_http(self.http_client("dist", self.settings.dist_url))

    def pypi(self) -> PyPI:
        """The Python Package Index's JSON API, anonymous."""
        from cockpit.services.pypi import PyPI

        return PyPI.from_http(self.http_client("pypi", self.settings.pypi_url))

    async def aclose(self) -> None:
        for client in self._http.values():
            await client.aclose()
        self._http.clear()
        if self._etag_store is not None:
            self._etag_store.close()
            self._etag_store = None
        if self._git is not None:
            self._git.close()
            self._git = None

    @property
    def version(self) -> Version | SymbolicVersion:
        return self.release.version if self.release else SymbolicVersion(self.version_format)

    def git(self) -> GitWorkspace:
        """The session's clones, shared by every action (each logs under its own action)."""
        if self._git is None:
            from cockpit.services.git import GitWorkspace  # GitPython costs ~45 ms to import

            self._git = GitWorkspace(
                Path(self.settings.workspace_dir) / "clones",
                self.settings.clone_url,
                find_token("github"),
                self._on_git,
                self.redact,
                read_only=self.read_only,
            )
        return self._git


@dataclass
class ActionContext:
    """The view of the session one action gets."""

    session: Session
    stage_id: str
    action_id: str
    values: dict[str, Any]
    """Template values (``version``, playbook vars) the action's params were rendered with."""
    title: str = ""
    """The action's title for this release (the playbook's, with the version filled in)."""
    sibling: Callable[[str], object | None] = lambda _ref: None
    """Another action of the playbook (``stage/action``, or ``action`` of this stage), built
    for the same release (an ``ActionKind``; typed loosely, as the kinds are a layer above
    this one): a comment whose text names an earlier action's workflow run prints the
    command that finds that run."""

    @property
    def release(self) -> Release:
        if self.session.release is None:
            raise RuntimeError("this needs a release version (pass --version)")
        return self.session.release

    @property
    def settings(self) -> Settings:
        return self.session.settings

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    def log(self, line: str) -> None:
        self.session.emit_log(self.stage_id, self.action_id, self.session.redact(line), None)

    def manual(self, command: str) -> None:
        """Log a command as the manual equivalent of what the cockpit just did."""
        clean = self.session.redact(command)
        self.session.emit_log(self.stage_id, self.action_id, "$ " + clean, clean)

    async def git(self, repo: str) -> GitRepo:
        """A freshly fetched working clone of ``repo`` (``owner/name``), this action's
        alone until it ends (``Session.hold``)."""
        await self.session.hold(f"clone:{repo}")
        with acting(self.stage_id, self.action_id):
            return await self.session.git().open(repo)

    async def ask(self, prompt: Prompt) -> PromptAnswer:
        return await self.session.prompter.ask(prompt)

    def remember(self, name: str, value: str) -> None:
        """Record a fact for later actions (see ``Session.facts``)."""
        self.session.facts[name] = value

    def github(self) -> GitHubClient:
        """The session's GitHub client; calls are logged with their ``gh api`` equivalent."""
        return self.session.github()

    def discourse(self) -> DiscourseClient:
        """The session's Discourse client (see ``Session.discourse``)."""
        return self.session.discourse()

    def matrix(self) -> MatrixClient:
        """The session's Matrix client."""
        return self.session.matrix()

    def reddit(self) -> RedditClient:
        """The session's Reddit client."""
        return self.session.reddit()

    def docker_hub(self) -> DockerHub:
        """The session's Docker Hub client."""
        return self.session.docker_hub()

    def npm(self) -> Npm:
        """The session's npm registry client."""
        return self.session.npm()

    def dist_site(self) -> DistSite:
        """The session's distribution-site client."""
        return self.session.dist_site()

    def pypi(self) -> PyPI:
        """The session's PyPI client."""
        return self.session.pypi()

    def guard_write(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyViolation(f"read-only session: refused to {what}")

    @property
    def prompt_prefix(self) -> str:
        return f"{self.stage_id}/{self.action_id}"
