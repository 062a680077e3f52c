"""Where the cockpit talks to and keeps its files, read from ``COCKPIT_*`` variables.

Defaults point at the real services; ``cockpit demo`` and the tests point them
at the sandbox. Tokens are deliberately not settings: see ``cockpit.secrets``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from cockpit.errors import BadInput

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A duration that must be a finite number above zero (0 would spin, inf would hang)."""


class SettingsError(BadInput, ValueError):
    """A ``COCKPIT_*`` variable holds a value the cockpit cannot use (the CLI exits 2)."""


def _state_dir() -> Path:
    return Path(platformdirs.user_state_dir("cockpit"))


def _cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("cockpit"))


class Settings(BaseSettings):
    """Endpoints and directories. Each field can be set as ``COCKPIT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="COCKPIT_", extra="ignore")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None

    github_api_url: str = "https://api.github.com"
    """Base URL of the GitHub REST API (the sandbox serves one on 127.0.0.1)."""
    git_base_url: str = "https://github.com"
    """GitHub's web address: clone URLs are ``{git_base_url}/{owner}/{name}.git`` and every
    GitHub page the cockpit shows or opens is under it (``github_link``), so a sandbox's
    links stay in the sandbox."""
    discourse_url: str = "https://discuss.ipfs.tech"
    discord_webhook_url: str = ""
    """Discord webhook URL (a secret: it is also registered with the redactor)."""
    discord_url: str = "https://discord.com"
    """Discord's web app: links to the announcement channel."""
    slack_url: str = "https://filecoinproject.slack.com"
    """The Slack workspace the announcement reaches (links only; no API is called)."""
    reddit_url: str = "https://oauth.reddit.com"
    reddit_web_url: str = "https://www.reddit.com"
    """Reddit's web site: links to posts (the API is ``reddit_url``)."""
    npm_web_url: str = "https://www.npmjs.com"
    """The npm web site: links to package versions (the registry API is ``npm_registry_url``)."""
    matrix_url: str = "https://matrix-client.matrix.org"
    docker_registry_url: str = "https://hub.docker.com"
    npm_registry_url: str = "https://registry.npmjs.org"
    dist_url: str = "https://dist.ipfs.tech"
    pypi_url: str = "https://pypi.org"
    """The Python Package Index: its JSON API (``/pypi/{name}/{version}/json``), simple
    index (``/simple/``) and project pages (``{settings.pypi_url}`` in a playbook)."""
    crates_url: str = "https://crates.io"
    """The Rust crate registry: its API (``/api/v1/crates/{name}/{version}``) and pages."""
    blog_url: str = "https://blog.ipfs.tech"
    state_dir: Path = Field(default_factory=_state_dir)
    """The local journal lives here, one JSONL file per release."""
    workspace_dir: Path = Field(default_factory=_cache_dir)
    """Working clones of the release's repositories."""
    http_disk_cache: bool = True
    """Keep GitHub's answers (with their ETags) on disk, shared by this user's cockpit
    processes, so a repeated status revalidates with free 304s instead of paying again."""
    driver: str = ""
    """Who drives (shown to other maintainers); defaults to the git user name."""
    poll_initial_seconds: Seconds = 2.0
    """First wait before re-checking something in progress; doubles up to the max."""
    poll_max_seconds: Seconds = 30.0
    poll_timeout_seconds: Seconds = 3600.0
    """Give up waiting on one in-progress check after this long (then ask the human)."""
    dispatch_grace_seconds: Seconds = 180.0
    """After a workflow dispatch whose answer was lost, how long a missing run counts as
    "GitHub has not listed it yet" (dispatching again could start it twice)."""
    http_timeout_seconds: Seconds = 30.0
    """How long one HTTP request may take before it counts as timed out (then retried if
    safe, or re-checked if it was a write)."""
    http_retry_base_seconds: Seconds = 0.5
    """First backoff before retrying a failed safe request; doubles per attempt."""
    sync: bool = True
    """Share the journal and the stage locks on the release's tracking issue."""
    lock_lease_seconds: float = 300.0
    """How long a stage claim holds without renewal (a crashed driver's claim then lapses)."""
    lock_renew_seconds: float = 60.0
    """How often a running stage renews its claim (well under the lease)."""
    lock_skew_seconds: float = 5.0
    stages_side_by_side: int = Field(default=2, ge=1)
    """How many stages whose needs are met may run at once (``cockpit run --parallel``, the
    TUI). Small: each holds its own claim and may ask you something."""
    """Grace added before a lease counts as expired: clock and timestamp rounding."""
    journal_flush_seconds: float = 10.0
    """Batch window: finished actions reach the tracking issue at most this often."""
    shadow_poll_seconds: float = 10.0
    """How often a shadow polls the tracking issue (a 304 costs no rate limit)."""
    review_poll_seconds: float = 10.0
    """How often a driver waiting for review looks for the approval (a 304 is free)."""
    review_wait_seconds: float = 1800.0
    """How long a driver's run waits for a second maintainer's approval before it stops
    ("waiting for review"; rerun to wait again). 0: ask, then stop at once."""

    @property
    def http_cache_dir(self) -> Path:
        """The on-disk ETag cache (``cockpit.services.etag_store``), beside the clones."""
        return self.workspace_dir / ".http-cache"

    def clone_url(self, repo: str) -> str:
        return f"{self.github_url}/{repo}.git"

    @property
    def github_url(self) -> str:
        """GitHub's web address without a trailing slash (``{settings.github_url}`` in a
        playbook)."""
        return self.git_base_url.rstrip("/")

    def github_link(self, path: str) -> str:
        """A GitHub page: ``github_link("ipfs/kubo/releases/tag/v0.30.0")``."""
        return f"{self.github_url}/{path.lstrip('/')}"


def _explain(exc: ValidationError) -> str:
    """One line per bad variable, named as the driver set it (values of secrets withheld)."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        name = f"COCKPIT_{field.upper()}"
        secret = any(word in field for word in ("token", "webhook", "key", "secret"))
        value = "" if secret else f"={str(error.get('input', ''))[:40]!r}"
        lines.append(f"{name}{value}: {error['msg']}")
    return "bad setting: " + "; ".join(lines)
