"""GitHub REST: the calls Kubo's playbook makes, typed, through the shared HTTP layer.

This is the only module that speaks GitHub: the kinds, the sync thread, CI health and
the alerts call these typed methods, never ``client.http`` with a path of their own, so
a lookup rule lives in one place. The ``find_*`` lookups are the shared policies
(``find_issue``: exact title, open before closed; ``find_pull``: open, else merged;
``find_release``: drafts included); every caller uses them, so the tracking issue the
sync locks on is the one the release body links.

Every method is one REST call (or one paginated listing, or a lookup of at most two) so
that its manual equivalent (``gh api …``) stays obvious. Lookups that may legitimately
find nothing return ``None`` rather than raising on 404, because every action's
``check()`` starts there. ``get_or_create`` (and the ``ensure_*`` methods built on it)
look first, create only if absent, and when the create fails ambiguously
(``AmbiguousWriteError``) or is refused because the thing already exists (422), look
again instead of guessing — the rerun-safety the playbook promises, one level below the
actions. The kinds themselves create once and leave an ambiguous answer to the engine's
re-check.

Models keep only the fields the cockpit reads (``extra="ignore"``), so GitHub adding
fields never breaks us and the sandbox need not serve every field.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Literal, TypeVar, cast
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cockpit.errors import CockpitError
from cockpit.model import github_time
from cockpit.services import read_batch
from cockpit.services.client import ServiceClient
from cockpit.services.http import (
    AmbiguousWriteError,
    HttpClient,
    HttpError,
    MalformedResponseError,
    RequestRecord,
    Response,
)
from cockpit.services.read_batch import NOT_KNOWN
from cockpit.services.reads import (
    FileAt,
    IssuesOf,
    PullsFrom,
    Read,
    RefAt,
    ReleaseOf,
    ReleasesOf,
    RepoInfo,
    TagMade,
    ref_at_branch,
)

T = TypeVar("T")
M = TypeVar("M", bound="_Model")

API_VERSION = "2022-11-28"
MergeMethod = Literal["merge", "squash", "rebase"]
MakeLatest = Literal["true", "false", "legacy"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Account(_Model):
    login: str


class User(_Model):
    login: str
    name: str | None = None


class GpgSubkey(_Model):
    key_id: str
    can_sign: bool = False
    revoked: bool = False


class GpgKey(_Model):
    """A GPG key registered on a GitHub account: GitHub marks a tag *Verified* only when
    it is signed by one of these (or one of their subkeys)."""

    key_id: str
    """The long (16 hex digits) key id of the primary key."""
    name: str | None = None
    emails: list[dict[str, str | bool]] = []
    subkeys: list[GpgSubkey] = []
    can_sign: bool = False
    revoked: bool = False
    expires_at: str | None = None

    def matches(self, key: str) -> bool:
        """``key`` (a fingerprint or a long key id) is this key or one of its subkeys."""
        wanted = key.upper().replace(" ", "")[-16:]
        return wanted in {self.key_id.upper(), *(s.key_id.upper() for s in self.subkeys)}


PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")
"""A repository's ``permissions`` flags, weakest first: each role holds those before it."""


class Repo(_Model):
    full_name: str
    default_branch: str = "master"
    html_url: str = ""
    private: bool = False
    permissions: dict[str, bool] | None = None
    """The token's permissions here (``pull``, ``triage``, ``push``, ``maintain``,
    ``admin`` → held); only sent to an authenticated caller."""


class TokenUser(_Model):
    """Whose token it is, and its classic scopes (``X-OAuth-Scopes``, one GET)."""

    login: str
    scopes: list[str] | None = None
    """None for a fine-grained token: GitHub sends no scopes header (per-repo permissions)."""


class ShaRef(_Model):
    sha: str


class Branch(_Model):
    name: str
    commit: ShaRef

    @property
    def sha(self) -> str:
        return self.commit.sha


class GitObject(_Model):
    sha: str
    type: str = "commit"


class Ref(_Model):
    ref: str
    """Full ref name, ``refs/heads/x`` or ``refs/tags/vX.Y.Z``."""
    object: GitObject


class GitActor(_Model):
    """The author, committer or tagger of a git object (not a GitHub account)."""

    name: str = ""
    email: str = ""
    date: str
    """ISO 8601, as git recorded it (``2024-05-01T12:00:00Z``)."""

    @property
    def when(self) -> datetime:
        moment = datetime.fromisoformat(self.date.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class GitCommit(_Model):
    """A commit as a git object (``git/commits/SHA``): who committed it and when."""

    sha: str
    message: str = ""
    committer: GitActor


class CommitDetail(_Model):
    message: str = ""


class Commit(_Model):
    sha: str
    html_url: str = ""
    commit: CommitDetail = Field(default_factory=CommitDetail)
    author: Account | None = None
    """None also when git's author has no GitHub account (GitHub sends ``{}``)."""
    parents: list[ShaRef] = Field(default_factory=list)
    """Two or more: a merge commit."""

    @field_validator("author", mode="before")
    @classmethod
    def _no_account(cls, value: Any) -> Any:
        return None if value == {} else value

    @property
    def title(self) -> str:
        return self.commit.message.split("\n", 1)[0]


class Comparison(_Model):
    status: str
    """``identical``, ``ahead``, ``behind`` or ``diverged`` (head relative to base)."""
    ahead_by: int = 0
    behind_by: int = 0
    total_commits: int = 0
    html_url: str = ""
    commits: list[Commit] = Field(default_factory=list)


class Content(_Model):
    path: str
    sha: str
    type: str = "file"
    encoding: str | None = None
    content: str | None = None

    @property
    def text(self) -> str:
        """The file's text (GitHub sends it base64-encoded)."""
        if self.content is None:
            return ""
        if self.encoding == "base64":
            return base64.b64decode(self.content).decode("utf-8")
        return self.content


class TagObject(_Model):
    sha: str
    tag: str
    message: str = ""
    object: GitObject
    tagger: GitActor


class PullEnd(_Model):
    ref: str
    sha: str
    label: str = ""


class Pull(_Model):
    number: int
    title: str
    state: str
    node_id: str = ""
    """The global id GraphQL calls take (``markPullRequestReadyForReview``)."""
    html_url: str = ""
    body: str | None = None
    draft: bool = False
    merged: bool | None = None
    """Only on single-PR responses; lists leave it out (use ``merged_at``)."""
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    created_at: str | None = None
    head: PullEnd
    base: PullEnd
    user: Account | None = None

    @property
    def is_merged(self) -> bool:
        return bool(self.merged or self.merged_at)


class Merge(_Model):
    """GitHub's answer to a merge: the merge commit (or the squashed/rebased head)."""

    sha: str = ""
    merged: bool = True


class CheckSuiteRef(_Model):
    id: int | None = None


class CheckRun(_Model):
    """One check run on a commit (Actions jobs and third-party apps alike)."""

    name: str | None = None
    status: str | None = None
    """``queued``, ``in_progress`` or ``completed``."""
    conclusion: str | None = None
    details_url: str | None = None
    html_url: str | None = None
    check_suite: CheckSuiteRef | None = None

    @property
    def suite_id(self) -> int | None:
        return self.check_suite.id if self.check_suite is not None else None


class CheckRuns(_Model):
    total_count: int = 0
    check_runs: list[CheckRun] = Field(default_factory=list)


class CommitStatus(_Model):
    """One legacy commit status (external CI posting ``pending``/``success``…)."""

    state: str
    context: str | None = None
    target_url: str | None = None


class CombinedStatus(_Model):
    state: str = ""
    statuses: list[CommitStatus] = Field(default_factory=list)


class Review(_Model):
    id: int
    state: str
    """``APPROVED``, ``CHANGES_REQUESTED``, ``COMMENTED``, ``DISMISSED`` or ``PENDING``."""
    user: Account | None = None
    commit_id: str | None = None
    submitted_at: str | None = None
    html_url: str = ""


class GraphQLError(CockpitError, RuntimeError):
    """GitHub answered a GraphQL call with ``errors`` (HTTP 200 all the same)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        self.types = [str(e.get("type") or "") for e in errors]
        super().__init__("; ".join(str(e.get("message") or e) for e in errors))


class Asset(_Model):
    id: int
    name: str
    size: int = 0
    state: str = "uploaded"
    browser_download_url: str = ""


class Release(_Model):
    """A release, without its assets: ``list_release_assets`` lists those (every page;
    the release's own answer carries the first ones only, and GraphQL none)."""

    id: int
    tag_name: str
    name: str | None = None
    body: str | None = None
    draft: bool = False
    prerelease: bool = False
    html_url: str = ""


class Label(_Model):
    name: str


class Milestone(_Model):
    number: int
    title: str
    state: str = "open"
    open_issues: int = 0
    closed_issues: int = 0
    html_url: str = ""


class Issue(_Model):
    number: int
    title: str
    state: str
    html_url: str = ""
    body: str | None = None
    labels: list[Label] = Field(default_factory=list)
    milestone: Milestone | None = None
    pull_request: dict[str, Any] | None = None
    """Present when the "issue" is a pull request (GitHub lists both as issues)."""
    user: Account | None = None

    @property
    def is_pull(self) -> bool:
        return self.pull_request is not None


class Comment(_Model):
    id: int
    body: str = ""
    html_url: str = ""
    user: Account | None = None
    created_at: str = ""
    updated_at: str = ""


class Workflow(_Model):
    id: int
    name: str
    path: str
    state: str = "active"
    html_url: str = ""

    @property
    def file(self) -> str:
        """``docker.yml`` from ``.github/workflows/docker.yml``: what dispatch accepts."""
        return self.path.rsplit("/", 1)[-1]


class WorkflowRun(_Model):
    id: int
    name: str | None = None
    status: str
    """``queued``, ``in_progress``, ``completed`` (and ``waiting``, ``requested``…)."""
    conclusion: str | None = None
    event: str = ""
    head_branch: str | None = None
    head_sha: str = ""
    html_url: str = ""
    workflow_id: int | None = None
    check_suite_id: int | None = None
    """The suite its check runs belong to: tells a commit's checks apart by what ran them."""
    run_attempt: int = 1
    created_at: str = ""


class Job(_Model):
    id: int
    run_id: int
    name: str
    status: str
    conclusion: str | None = None
    html_url: str | None = None


class RateBucket(_Model):
    limit: int
    remaining: int
    reset: int
    used: int = 0


class RateLimit(_Model):
    resources: dict[str, RateBucket]

    @property
    def core(self) -> RateBucket:
        return self.resources["core"]


class HookDelivery(_Model):
    """One attempt to deliver a webhook (a repository hook's or a GitHub App's).

    ``guid`` is the ``X-GitHub-Delivery`` header the receiver stored as ``delivery_id``;
    a redelivery is a new delivery (new ``id``) with the same ``guid``. GitHub keeps
    deliveries for a few days only."""

    id: int
    guid: str
    delivered_at: str
    redelivery: bool = False
    status: str = ""
    """``OK`` when the receiver answered 2xx; otherwise what went wrong."""
    status_code: int = 0
    """The receiver's HTTP status; 0 when none came (refused, timed out)."""
    event: str = ""
    action: str | None = None
    installation_id: int | None = None
    repository_id: int | None = None

    @property
    def failed(self) -> bool:
        """GitHub marked it not OK: an error status, or no answer at all."""
        return self.status.upper() != "OK" or self.status_code == 0 or self.status_code >= 400

    @property
    def delivered(self) -> datetime | None:
        try:
            moment = datetime.fromisoformat(self.delivered_at)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Answer(Generic[T]):
    """A value with what the server said about it, for callers that judge time on the
    server's clock and skip work when nothing changed (the sync thread's leases)."""

    value: T
    fresh: bool
    """False when every page came from the ETag cache (a 304: nothing changed)."""
    skew: timedelta | None
    """The server's ``Date`` minus our clock, from the last fresh answer (None: none)."""
    date: str | None = None
    """That answer's ``Date`` header as sent (None: no fresh answer, or no header)."""


def _skew(response: Response) -> timedelta | None:
    """Server clock minus ours, from a fresh answer's ``Date`` header."""
    stamp = response.headers.get("date")
    if response.from_cache or not stamp:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return parsedate_to_datetime(stamp) - datetime.now(UTC)
    return None


RUNS_QUERY_CAP = 1000
"""GitHub answers at most this many workflow runs per listing query (``total_count`` says
how many match; pages past the cap come back empty), so longer windows are split."""
RUNS_SPLIT_TARGET = 800
"""Runs aimed for per piece when a window is split (headroom for uneven days)."""
RUNS_SPLIT_FLOOR = timedelta(minutes=1)
"""A window this short is never split further (more than 1,000 runs a minute: read 1,000)."""
RUNS_SPLIT_STEPS = tuple(timedelta(minutes=m) for m in
                         (1, 5, 15, 60, 180, 360, 720, 1440, 2880, 10080))
"""The round lengths a split piece takes: the longest no longer than needed, so every piece
is shorter than the window it splits (the recursion always ends, at one minute)."""


def _split_step(needed: timedelta) -> timedelta:
    fitting = [step for step in RUNS_SPLIT_STEPS if step <= needed]
    return fitting[-1] if fitting else RUNS_SPLIT_STEPS[0]


def created_range(start: datetime, end: datetime | None) -> str:
    """The ``created`` qualifier of a run listing: ``>=START`` or ``START..END`` (inclusive),
    in GitHub's search syntax with seconds and a UTC offset."""
    first = _stamp(start)
    return f">={first}" if end is None else f"{first}..{_stamp(end)}"


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _created(run: dict[str, Any]) -> datetime | None:
    return github_time(run.get("created_at"))


def _p(value: str) -> str:
    """Escape one path part (branch and tag names may hold ``/``, which GitHub accepts)."""
    return quote(value, safe="/")


def _fields(**kwargs: Any) -> dict[str, Any]:
    """Only the fields given: PATCH with ``None`` would clear them on GitHub."""
    return {k: v for k, v in kwargs.items() if v is not None}


class GitHubClient(ServiceClient):
    """A token's view of GitHub's REST API (``api_url`` like ``https://api.github.com``).

    Keyword arguments go to ``HttpClient`` (``redact``, ``read_only``, ``on_request``,
    ``on_wait``, ``retry``, ``client``…); the manual equivalents are ``gh api`` lines.
    """

    def __init__(self, api_url: str, token: str | None, **http: Any) -> None:
        http.setdefault("service", "github")
        http.setdefault("manual_style", "gh")
        headers = {"Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": API_VERSION, "User-Agent": "cockpit",
                   **http.pop("headers", {})}
        self.http = HttpClient(api_url, token=token, headers=headers, **http)

    @property
    def read_only(self) -> bool:
        """True when writes are refused before they are sent (a read-only session)."""
        return self.http.read_only

    @property
    def on_request(self) -> Callable[[RequestRecord], None] | None:
        """Hears every attempt of every call (counting, logging); settable."""
        return self.http.on_request

    @on_request.setter
    def on_request(self, hook: Callable[[RequestRecord], None] | None) -> None:
        self.http.on_request = hook

    # -- plumbing ---------------------------------------------------------------------------

    async def _known(self, read: Read) -> Any:
        """The read-ahead batch's answer to ``read``, or ``NOT_KNOWN``: then ask REST
        (``cockpit.services.read_batch``)."""
        return await read_batch.answer(self, read)

    async def _get(self, model: type[M], path: str, **params: Any) -> M:
        response = await self.http.get(path, params=_fields(**params))
        return _parse(model, response.json(), response.method, response.url)

    async def _maybe(self, model: type[M], path: str, **params: Any) -> M | None:
        response = await self.http.get(path, params=_fields(**params), ok=(404,))
        if response.status == 404:
            return None
        return _parse(model, response.json(), response.method, response.url)

    async def _list(self, model: type[M], path: str, *, item_key: str | None = None,
                    limit: int | None = None, **params: Any) -> list[M]:
        out: list[M] = []
        query = {"per_page": 100, **_fields(**params)}
        async for item in self.http.paginate(path, params=query, item_key=item_key):
            out.append(_parse(model, item, "GET", self.http.url(path)))
            if limit is not None and len(out) >= limit:
                break
        return out

    async def _send(self, method: str, model: type[M], path: str, body: dict[str, Any]
                    ) -> M:
        response = await self.http.request(method, path, json=body)
        return _parse(model, response.json(), response.method, response.url)

    @staticmethod
    async def get_or_create(find: Callable[[], Awaitable[T | None]],
                             create: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """(thing, created): look, create if absent; on ambiguity or 422, look again.

        The ``ensure_*`` methods are this over a lookup and a create; a caller with its own
        pair (a test setting up a branch or a pull request) passes them here."""
        found = await find()
        if found is not None:
            return found, False
        try:
            return await create(), True
        except AmbiguousWriteError:
            found = await find()
            if found is None:
                raise
            return found, True
        except HttpError as exc:
            if exc.status != 422:
                raise
            found = await find()
            if found is None:
                raise
            return found, False

    # -- account ----------------------------------------------------------------------------

    async def user(self) -> User:
        return await self._get(User, "user")

    async def rate_limit(self) -> RateLimit:
        """Free of charge (does not count against the limit)."""
        return await self._get(RateLimit, "rate_limit")

    async def rate_limit_now(self) -> Answer[RateLimit]:
        """The limit asked afresh (never a 304 from the ETag cache), with the server's
        ``Date``: one free request gives both (``cockpit doctor``'s clock and limit)."""
        response = await self.http.get("rate_limit", etag=False)
        limit = _parse(RateLimit, response.json(), response.method, response.url)
        return Answer(limit, True, _skew(response), response.headers.get("date"))

    async def token_user(self) -> TokenUser:
        """The token's owner and classic scopes in one uncached GET (``gh api -i user``):
        a classic token's scopes come in ``X-OAuth-Scopes`` (present but empty when it has
        none); a fine-grained token gets no such header (``scopes`` None)."""
        response = await self.http.get("user", etag=False)
        user = _parse(User, response.json(), response.method, response.url)
        header = response.headers.get("x-oauth-scopes")
        scopes = None if header is None else [s.strip() for s in header.split(",") if s.strip()]
        return TokenUser(login=user.login, scopes=scopes)

    async def gpg_keys(self, login: str) -> list[GpgKey]:
        """The GPG keys registered on ``login``'s account (public; ``gh api
        users/LOGIN/gpg_keys``)."""
        return await self._list(GpgKey, f"users/{_p(login)}/gpg_keys")

    # -- repositories, branches, refs, contents ----------------------------------------------

    async def get_repo(self, repo: str) -> Repo:
        known = await self._known(RepoInfo(repo))
        if isinstance(known, Repo):
            return known
        return await self._get(Repo, f"repos/{repo}")

    async def find_repo(self, repo: str) -> Repo | None:
        """None when the token cannot see it (GitHub answers 404 for private and absent)."""
        known = await self._known(RepoInfo(repo))
        if known is not NOT_KNOWN:
            return cast(Repo | None, known)
        return await self._maybe(Repo, f"repos/{repo}")

    async def get_branch(self, repo: str, branch: str) -> Branch | None:
        known = await self._known(ref_at_branch(repo, branch))
        if known is not NOT_KNOWN:
            return None if known is None else Branch(name=branch,
                                                     commit=ShaRef(sha=known.object.sha))
        return await self._maybe(Branch, f"repos/{repo}/branches/{_p(branch)}")

    async def list_branches(self, repo: str) -> list[Branch]:
        return await self._list(Branch, f"repos/{repo}/branches")

    async def get_ref(self, repo: str, ref: str) -> Ref | None:
        """``ref`` without ``refs/``: ``heads/master`` or ``tags/v0.30.0``."""
        known = await self._known(RefAt(repo, ref))
        if known is not NOT_KNOWN:
            return cast(Ref | None, known)
        return await self._maybe(Ref, f"repos/{repo}/git/ref/{_p(ref)}")

    async def create_ref(self, repo: str, ref: str, sha: str) -> Ref:
        """``ref`` with ``refs/``: ``refs/heads/release-v0.30.0``."""
        return await self._send("POST", Ref, f"repos/{repo}/git/refs",
                                {"ref": ref, "sha": sha})

    async def update_ref(self, repo: str, ref: str, sha: str, force: bool = False) -> Ref:
        return await self._send("PATCH", Ref, f"repos/{repo}/git/refs/{_p(ref)}",
                                {"sha": sha, "force": force})

    async def delete_ref(self, repo: str, ref: str) -> None:
        """``ref`` without ``refs/``: ``heads/release-v0.30.0`` (deletes the branch)."""
        await self.http.delete(f"repos/{repo}/git/refs/{_p(ref)}")

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        """How ``head`` relates to ``base`` (``commits``: those in head, not in base, the
        first 250 of them; ``total_commits`` says how many there are)."""
        return await self._get(Comparison, f"repos/{repo}/compare/{_p(base)}...{_p(head)}")

    async def get_commit(self, repo: str, sha: str) -> Commit:
        """A commit as GitHub shows it (``parents`` tells a merge commit apart)."""
        return await self._get(Commit, f"repos/{repo}/commits/{_p(sha)}")

    async def get_git_commit(self, repo: str, sha: str) -> GitCommit:
        """A commit as a git object: its committer and their date."""
        return await self._get(GitCommit, f"repos/{repo}/git/commits/{sha}")

    async def list_check_runs(self, repo: str, sha: str) -> list[CheckRun]:
        """The check runs on a commit: one page, the first 100 (``gh api
        repos/O/R/commits/SHA/check-runs``)."""
        runs = await self._get(CheckRuns, f"repos/{repo}/commits/{_p(sha)}/check-runs",
                               per_page=100)
        return runs.check_runs

    async def combined_status(self, repo: str, sha: str) -> CombinedStatus:
        """A commit's legacy statuses (external CI), one per context."""
        return await self._get(CombinedStatus, f"repos/{repo}/commits/{_p(sha)}/status")

    async def get_contents(self, repo: str, path: str, ref: str | None = None
                           ) -> Content | None:
        known = await self._known(FileAt(repo, path, ref))
        if known is not NOT_KNOWN:
            return cast(Content | None, known)
        return await self._maybe(Content, f"repos/{repo}/contents/{_p(path)}", ref=ref)

    async def put_contents(self, repo: str, path: str, text: str, message: str, branch: str,
                           sha: str | None = None) -> str:
        """Create or update a file in one commit; returns the commit's sha.

        ``sha`` is the blob being replaced (from ``get_contents``); GitHub refuses the
        update (409) if the file changed since, which is what we want.
        """
        body = _fields(message=message, branch=branch, sha=sha,
                       content=base64.b64encode(text.encode()).decode())
        response = await self.http.put(f"repos/{repo}/contents/{_p(path)}", json=body)
        return str(response.json()["commit"]["sha"])

    # -- tags --------------------------------------------------------------------------------

    async def get_tag_ref(self, repo: str, tag: str) -> Ref | None:
        return await self.get_ref(repo, f"tags/{tag}")

    async def tag_made(self, repo: str, tag: str) -> datetime | None:
        """When ``tag`` was made (its tagger's date, or its commit's for a lightweight
        tag), or None if there is no such tag: the tag's ref, then its object."""
        known = await self._known(TagMade(repo, tag))
        if known is not NOT_KNOWN:
            return cast(datetime | None, known)
        ref = await self.get_tag_ref(repo, tag)
        if ref is None:
            return None
        if ref.object.type == "tag":
            return (await self.get_tag_object(repo, ref.object.sha)).tagger.when
        return (await self.get_git_commit(repo, ref.object.sha)).committer.when

    async def get_tag_object(self, repo: str, sha: str) -> TagObject:
        return await self._get(TagObject, f"repos/{repo}/git/tags/{sha}")

    async def create_tag_object(self, repo: str, tag: str, message: str, sha: str
                                ) -> TagObject:
        """An annotated tag object (unsigned: Kubo's tags are signed locally with git)."""
        return await self._send("POST", TagObject, f"repos/{repo}/git/tags",
                                {"tag": tag, "message": message, "object": sha,
                                 "type": "commit"})

    # -- pull requests -----------------------------------------------------------------------

    async def list_pulls(self, repo: str, *, head: str | None = None, base: str | None = None,
                         state: str = "open") -> list[Pull]:
        """``head`` is ``owner:branch`` (GitHub ignores a bare branch name here)."""
        return await self._list(Pull, f"repos/{repo}/pulls", head=head, base=base,
                                state=state)

    async def find_pull(self, repo: str, head: str, base: str, *, include_merged: bool = True
                        ) -> Pull | None:
        """The pull request from branch ``head`` (same repository) into ``base``, by the one
        policy every kind shares: the open one (the newest if there are several), else —
        with ``include_merged`` — the newest merged one. One closed without merging never
        counts. One listing (``state=all``), so a rerun anywhere finds what another made."""
        owner = repo.split("/", 1)[0]
        qualified = head if ":" in head else f"{owner}:{head}"
        head_owner, branch = qualified.split(":", 1)
        known = (await self._known(PullsFrom(repo, branch, base))
                 if head_owner.lower() == owner.lower() else NOT_KNOWN)
        pulls = (cast(list[Pull], known) if known is not NOT_KNOWN else
                 await self.list_pulls(repo, head=qualified, base=base, state="all"))
        open_ = [p for p in pulls if p.state == "open"]
        if open_:
            return max(open_, key=lambda p: p.number)
        merged = [p for p in pulls if p.is_merged]
        if include_merged and merged:
            return max(merged, key=lambda p: p.number)
        return None

    async def get_pull(self, repo: str, number: int) -> Pull:
        return await self._get(Pull, f"repos/{repo}/pulls/{number}")

    async def create_pull(self, repo: str, *, title: str, head: str, base: str,
                          body: str = "", draft: bool = False) -> Pull:
        return await self._send("POST", Pull, f"repos/{repo}/pulls",
                                {"title": title, "head": head, "base": base, "body": body,
                                 "draft": draft})

    async def update_pull(self, repo: str, number: int, *, title: str | None = None,
                          body: str | None = None, state: str | None = None,
                          base: str | None = None) -> Pull:
        return await self._send("PATCH", Pull, f"repos/{repo}/pulls/{number}",
                                _fields(title=title, body=body, state=state, base=base))

    async def is_merged(self, repo: str, number: int) -> bool:
        response = await self.http.get(f"repos/{repo}/pulls/{number}/merge", ok=(404,))
        return response.status == 204

    async def merge_pull(self, repo: str, number: int, *, merge_method: MergeMethod = "merge",
                         sha: str | None = None, commit_title: str | None = None,
                         commit_message: str | None = None) -> str:
        """Merge; returns the merge commit's sha. ``sha`` guards against a moved head."""
        merge = await self._send("PUT", Merge, f"repos/{repo}/pulls/{number}/merge", _fields(
            merge_method=merge_method, sha=sha, commit_title=commit_title,
            commit_message=commit_message))
        return merge.sha

    async def list_reviews(self, repo: str, number: int) -> list[Review]:
        """Submitted reviews, oldest first (GitHub's chronological order)."""
        return await self._list(Review, f"repos/{repo}/pulls/{number}/reviews")

    async def mark_ready_for_review(self, pull: Pull) -> bool:
        """Turn a draft into a PR ready for review; returns the PR's ``isDraft`` after.

        GitHub's REST API cannot do this (``PATCH`` ignores ``draft``): it is the GraphQL
        mutation that ``gh pr ready`` sends."""
        data = await self.graphql(
            "mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id})"
            " { pullRequest { number isDraft } } }", {"id": pull.node_id})
        return bool(data["markPullRequestReadyForReview"]["pullRequest"]["isDraft"])

    @property
    def graphql_url(self) -> str:
        """``api.github.com/graphql``; GitHub Enterprise (REST at ``/api/v3``): ``/api/graphql``."""
        base = self.http.base_url.rstrip("/")
        if base.endswith("/api/v3"):
            return base[: -len("/v3")] + "/graphql"
        return base + "/graphql"

    async def graphql(self, query: str, variables: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
        """One GraphQL call; its ``data``, or ``GraphQLError`` when GitHub sent ``errors``."""
        response = await self.http.post(self.graphql_url,
                                        json=_fields(query=query, variables=variables))
        payload = response.json()
        if payload.get("errors"):
            raise GraphQLError(list(payload["errors"]))
        data: dict[str, Any] = payload.get("data") or {}
        return data

    async def graphql_partial(self, query: str, variables: dict[str, Any] | None = None
                              ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One GraphQL query (never a mutation: a read-only session sends it): (``data``,
        ``errors``). GitHub answers what it can and lists the rest in ``errors`` (a
        repository not found nulls only its own block)."""
        if not query.lstrip().startswith(("query", "{")) or "mutation" in query:
            raise ValueError("graphql_partial sends queries only")
        response = await self.http.request(
            "POST", self.graphql_url, json=_fields(query=query, variables=variables),
            reads_only=True, etag=False)
        payload = response.json()
        if not isinstance(payload, dict):
            raise response.malformed(f"expected an object, got {type(payload).__name__}")
        return dict(payload.get("data") or {}), list(payload.get("errors") or [])

    async def request_reviewers(self, repo: str, number: int, reviewers: list[str]) -> Pull:
        return await self._send("POST", Pull,
                                f"repos/{repo}/pulls/{number}/requested_reviewers",
                                {"reviewers": reviewers})

    # -- releases ----------------------------------------------------------------------------

    async def get_release_by_tag(self, repo: str, tag: str) -> Release | None:
        """Published releases only: GitHub hides drafts from this lookup (use ``list``)."""
        known = await self._known(ReleaseOf(repo, tag))
        if known is not NOT_KNOWN:
            return cast(Release | None, known)
        return await self._maybe(Release, f"repos/{repo}/releases/tags/{_p(tag)}")

    async def latest_release(self, repo: str) -> Release | None:
        """The newest non-prerelease, non-draft release."""
        return await self._maybe(Release, f"repos/{repo}/releases/latest")

    async def list_releases(self, repo: str, limit: int | None = None) -> list[Release]:
        """Newest first, drafts included."""
        known = await self._known(ReleasesOf(repo))
        if known is not NOT_KNOWN:  # the batch has them all (one page, none after it)
            return cast(list[Release], known)[:limit]
        return await self._list(Release, f"repos/{repo}/releases", limit=limit)

    async def find_release(self, repo: str, tag: str) -> Release | None:
        """The release of ``tag``, drafts included: the by-tag lookup first (one GET), and
        only when it finds nothing the newest 100 releases (GitHub hides drafts there)."""
        found = await self.get_release_by_tag(repo, tag)
        if found is not None:
            return found
        for release in await self.list_releases(repo, limit=100):
            if release.tag_name == tag:
                return release
        return None

    async def create_release(self, repo: str, *, tag: str, name: str, body: str,
                             prerelease: bool = False, draft: bool = False,
                             target_commitish: str | None = None,
                             make_latest: MakeLatest | None = None) -> Release:
        """One POST, never retried: an ambiguous answer is for the caller to look again."""
        return await self._send("POST", Release, f"repos/{repo}/releases", _fields(
            tag_name=tag, name=name, body=body, prerelease=prerelease, draft=draft,
            target_commitish=target_commitish, make_latest=make_latest))

    async def update_release(self, repo: str, release_id: int, *, name: str | None = None,
                             body: str | None = None, prerelease: bool | None = None,
                             draft: bool | None = None,
                             make_latest: MakeLatest | None = None) -> Release:
        return await self._send("PATCH", Release, f"repos/{repo}/releases/{release_id}",
                                _fields(name=name, body=body, prerelease=prerelease,
                                        draft=draft, make_latest=make_latest))

    async def list_release_assets(self, repo: str, release_id: int) -> list[Asset]:
        return await self._list(Asset, f"repos/{repo}/releases/{release_id}/assets")

    # -- issues and comments -------------------------------------------------------------

    async def list_issues(self, repo: str, *, state: str = "open", labels: str | None = None,
                          milestone: str | int | None = None, creator: str | None = None,
                          include_pulls: bool = False) -> list[Issue]:
        """``milestone``: a number, ``*`` or ``none``; ``labels``: comma-separated names."""
        issues = await self._list(Issue, f"repos/{repo}/issues", state=state, labels=labels,
                                  milestone=milestone, creator=creator)
        return issues if include_pulls else [i for i in issues if not i.is_pull]

    async def find_issue(self, repo: str, title: str, *, include_closed: bool = True,
                         labels: str | None = None) -> Issue | None:
        """The issue (never a PR) titled exactly ``title`` — "Release v0.30.0" — by the one
        lookup policy every caller shares (tracking issue, sync, release links, alerts):

        - the title matches exactly (no search, no case folding);
        - an open issue wins over a closed one;
        - among open ones the oldest (lowest number): when two drivers raced to create the
          tracking issue, the sync closes every open one but the oldest, so the lookup
          names the issue duplicates converge on, before and after that cleanup;
        - among closed ones (only with ``include_closed``) the newest (highest number):
          the latest attempt, not one given up long ago.

        The same questions whatever the arguments (``state=all``; labels filtered here), so
        every caller shares their ETag-cached answers: the read-ahead's, or
        ``_issues_maybe_titled``'s."""
        known = await self._known(IssuesOf(repo))
        listed = (cast(list[Issue], known) if known is not NOT_KNOWN
                  else await self._issues_maybe_titled(repo, title))
        wanted = {name for name in (labels or "").split(",") if name}
        matches = [i for i in listed if i.title == title
                   and wanted <= {label.name for label in i.labels}]
        open_ = [i for i in matches if i.state == "open"]
        if open_:
            return min(open_, key=lambda i: i.number)
        closed = [i for i in matches if i.state != "open"]
        if include_closed and closed:
            return max(closed, key=lambda i: i.number)
        return None

    async def _issues_maybe_titled(self, repo: str, title: str) -> list[Issue]:
        """Every issue of ``repo`` that may be titled ``title``, in two questions however
        many issues it has (Kubo has over ten thousand, pull requests included: paging
        through them all took a hundred requests):

        - the newest page of issues (``state=all``, newest first): when it is the only
          page, that is all of them;
        - else, GitHub's search for the title among issues, which finds any issue but one
          created in the last moments (its index lags behind writes); such a fresh one is
          on the newest page, unless a hundred issues and pull requests were opened since.

        A search GitHub says is incomplete, or refuses, leaves it to the whole listing."""
        path = f"repos/{repo}/issues"
        page = await self.http.get(path, params={"state": "all", "sort": "created",
                                                 "direction": "desc", "per_page": 100})
        items = page.json()
        if not isinstance(items, list):  # never "no issues": the caller would create one
            raise page.malformed(f"expected a list, got {type(items).__name__}")
        newest = [_parse(Issue, item, "GET", page.url) for item in items]
        if "next" not in page.links:
            return [i for i in newest if not i.is_pull]
        phrase = title.replace('"', " ")
        try:
            answer = await self.http.get("search/issues", params={
                "q": f'repo:{repo} is:issue in:title "{phrase}"', "per_page": 100})
        except HttpError:
            return await self.list_issues(repo, state="all")
        data = answer.json()
        if not isinstance(data, dict) or not isinstance(data.get("items"), list) \
                or data.get("incomplete_results") or data.get("total_count", 0) > 100:
            return await self.list_issues(repo, state="all")
        found = [_parse(Issue, item, "GET", answer.url) for item in data["items"]]
        by_number = {i.number: i for i in [*found, *newest] if not i.is_pull}
        return list(by_number.values())

    async def search_issues(self, query: str, limit: int = 100) -> list[Issue]:
        """GitHub search syntax (``repo:o/r is:issue in:title "Release v0.30.0"``)."""
        return await self._list(Issue, "search/issues", item_key="items", limit=limit,
                                q=query)

    async def get_issue(self, repo: str, number: int) -> Issue:
        return await self._get(Issue, f"repos/{repo}/issues/{number}")

    async def create_issue(self, repo: str, *, title: str, body: str = "",
                           labels: list[str] | None = None, assignees: list[str] | None = None,
                           milestone: int | None = None) -> Issue:
        return await self._send("POST", Issue, f"repos/{repo}/issues", _fields(
            title=title, body=body, labels=labels, assignees=assignees, milestone=milestone))

    async def ensure_issue(self, repo: str, *, title: str, body: str = "",
                           labels: list[str] | None = None) -> tuple[Issue, bool]:
        """(issue, created) by exact title (GitHub itself would happily make two)."""
        return await self.get_or_create(
            lambda: self.find_issue(repo, title),
            lambda: self.create_issue(repo, title=title, body=body, labels=labels))

    async def update_issue(self, repo: str, number: int, *, title: str | None = None,
                           body: str | None = None, state: str | None = None,
                           state_reason: str | None = None,
                           labels: list[str] | None = None,
                           milestone: int | None = None) -> Issue:
        """``milestone``: its number (``gh issue edit N --milestone TITLE``)."""
        return await self._send("PATCH", Issue, f"repos/{repo}/issues/{number}", _fields(
            title=title, body=body, state=state, state_reason=state_reason, labels=labels,
            milestone=milestone))

    async def list_comments(self, repo: str, number: int) -> list[Comment]:
        return (await self.read_comments(repo, number)).value

    async def find_comment(self, repo: str, number: int, text: str) -> Comment | None:
        """The oldest comment on issue ``number`` whose body contains ``text`` — a hidden
        marker (``<!-- cockpit:stage/action -->``) that makes a comment get-or-create."""
        for comment in await self.list_comments(repo, number):
            if text in comment.body:
                return comment
        return None

    async def read_comments(self, repo: str, number: int) -> Answer[list[Comment]]:
        """Every comment, oldest first, page by page through the ETag cache; ``fresh`` is
        False when every page came back 304 (nothing changed since the last read)."""
        path = f"repos/{repo}/issues/{number}/comments"
        comments: list[Comment] = []
        fresh, skew, date = False, None, None
        async for response, items in self._pages(path):
            fresh = fresh or not response.from_cache
            page_skew = _skew(response)
            if page_skew is not None:
                skew, date = page_skew, response.headers.get("date")
            comments += [_parse(Comment, item, "GET", response.url) for item in items]
        return Answer(comments, fresh, skew, date)

    async def _pages(self, path: str) -> AsyncIterator[tuple[Response, list[Any]]]:
        """(response, items) of every page of a listing, following ``Link: rel="next"``."""
        url: str | None = path
        params: dict[str, Any] | None = {"per_page": 100}
        while url is not None:
            response = await self.http.get(url, params=params)
            items = response.json()
            if not isinstance(items, list):
                raise response.malformed(f"expected a list, got {type(items).__name__}")
            yield response, items
            url, params = response.links.get("next"), None

    async def create_comment(self, repo: str, number: int, body: str) -> Comment:
        return await self._send("POST", Comment, f"repos/{repo}/issues/{number}/comments",
                                {"body": body})

    async def update_comment(self, repo: str, comment_id: int, body: str) -> Comment:
        return await self._send("PATCH", Comment,
                                f"repos/{repo}/issues/comments/{comment_id}", {"body": body})

    async def edit_comment(self, repo: str, comment_id: int, body: str
                           ) -> Answer[Comment | None]:
        """Rewrite a comment, retried like a read (the same body twice is the same edit);
        None when it is gone (deleted by its writer or another). ``skew`` is the server's
        clock at the edit, the time a lease renewed by it is judged on."""
        response = await self.http.patch(f"repos/{repo}/issues/comments/{comment_id}",
                                         json={"body": body}, ok=(404,), idempotent=True)
        if response.status == 404:
            return Answer(None, True, _skew(response))
        return Answer(_parse(Comment, response.json(), response.method, response.url), True,
                      _skew(response))

    async def delete_comment(self, repo: str, comment_id: int) -> None:
        """Delete a comment; one already gone is fine (retried: a delete is idempotent)."""
        await self.http.delete(f"repos/{repo}/issues/comments/{comment_id}", ok=(404,),
                               idempotent=True)

    # -- milestones -----------------------------------------------------------------------

    async def list_milestones(self, repo: str, state: str = "open") -> list[Milestone]:
        return await self._list(Milestone, f"repos/{repo}/milestones", state=state)

    async def find_milestone(self, repo: str, title: str) -> Milestone | None:
        for milestone in await self.list_milestones(repo, state="all"):
            if milestone.title == title:
                return milestone
        return None

    async def create_milestone(self, repo: str, title: str, description: str | None = None
                               ) -> Milestone:
        return await self._send("POST", Milestone, f"repos/{repo}/milestones",
                                _fields(title=title, description=description))

    async def ensure_milestone(self, repo: str, title: str, description: str | None = None
                               ) -> tuple[Milestone, bool]:
        """(milestone, created) by exact title, open or closed (GitHub keeps titles unique)."""
        return await self.get_or_create(
            lambda: self.find_milestone(repo, title),
            lambda: self.create_milestone(repo, title, description))

    async def update_milestone(self, repo: str, number: int, *, state: str | None = None,
                               title: str | None = None, description: str | None = None
                               ) -> Milestone:
        return await self._send("PATCH", Milestone, f"repos/{repo}/milestones/{number}",
                                _fields(state=state, title=title, description=description))

    # -- actions --------------------------------------------------------------------------

    async def list_workflows(self, repo: str) -> list[Workflow]:
        return await self._list(Workflow, f"repos/{repo}/actions/workflows",
                                item_key="workflows")

    async def get_workflow(self, repo: str, workflow: str | int) -> Workflow | None:
        """By id or file name (``docker.yml``)."""
        return await self._maybe(Workflow, f"repos/{repo}/actions/workflows/{workflow}")

    async def dispatch_workflow(self, repo: str, workflow: str | int, ref: str,
                                inputs: dict[str, str] | None = None) -> None:
        """Start a ``workflow_dispatch`` run. GitHub answers 204 without the run's id:
        find it afterwards with ``list_runs(event="workflow_dispatch", created=...)``."""
        await self.http.post(f"repos/{repo}/actions/workflows/{workflow}/dispatches",
                             json=_fields(ref=ref, inputs=inputs))

    async def list_runs(self, repo: str, workflow: str | int | None = None, *,
                        event: str | None = None, branch: str | None = None,
                        head_sha: str | None = None, status: str | None = None,
                        created: str | None = None, limit: int = 30) -> list[WorkflowRun]:
        """Newest first; only the first ``limit`` runs (history can be long)."""
        path = (f"repos/{repo}/actions/workflows/{workflow}/runs" if workflow is not None
                else f"repos/{repo}/actions/runs")
        runs = await self._list(WorkflowRun, path, item_key="workflow_runs", limit=limit,
                                event=event, branch=branch, head_sha=head_sha, status=status,
                                created=created)
        return runs

    async def get_run(self, repo: str, run_id: int) -> WorkflowRun:
        return await self._get(WorkflowRun, f"repos/{repo}/actions/runs/{run_id}")

    async def rerun(self, repo: str, run_id: int) -> None:
        await self.http.post(f"repos/{repo}/actions/runs/{run_id}/rerun", json={})

    async def list_jobs(self, repo: str, run_id: int) -> list[Job]:
        return await self._list(Job, f"repos/{repo}/actions/runs/{run_id}/jobs",
                                item_key="jobs")

    # -- raw runs and jobs, for CI health (stored raw: no model) --------------------------

    async def iter_runs_raw(self, repo: str, since: datetime, until: datetime | None = None,
                            *, on_total: Callable[[int], None] | None = None
                            ) -> AsyncGenerator[dict[str, Any], None]:
        """Every workflow run of ``repo`` created in [``since``, ``until``], as GitHub's raw
        JSON, newest first (``gh api 'repos/O/R/actions/runs?created=>=DATE&per_page=100'
        --paginate``).

        The query starts at the day of ``since`` (UTC): the same URLs all day, so a repeated
        listing is answered 304 from the ETag cache; runs before ``since`` are left out here.
        GitHub answers at most 1,000 runs per query; when ``total_count`` says more match,
        the window is split into pieces of about 800 runs on a fixed grid of round steps
        (a minute … a week, so the pieces too keep their URLs), listed newest piece first.
        ``on_total`` hears the first ``total_count``. A run outside the window it was asked
        for means the server ignored ``created``: a ``MalformedResponseError``, never paged
        through."""
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        day = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        seen: set[int] = set()
        async for run in self._runs_window(f"repos/{repo}/actions/runs", day, until, on_total,
                                           seen, top=True):
            moment = _created(run)
            if moment is None or moment >= since.replace(microsecond=0):
                yield run

    async def _runs_window(self, path: str, start: datetime, end: datetime | None,
                           on_total: Callable[[int], None] | None, seen: set[int],
                           top: bool = False) -> AsyncIterator[dict[str, Any]]:
        created = (f">={start:%Y-%m-%d}" if top and end is None
                   else created_range(start, end))
        response = await self.http.get(path, params={"created": created, "per_page": 100})
        total, runs = _runs_page(response)
        if on_total is not None:
            on_total(total)
        stop = end if end is not None else datetime.now(UTC)
        if total > RUNS_QUERY_CAP and stop - start > RUNS_SPLIT_FLOOR:
            step = _split_step((stop - start) / -(-total // RUNS_SPLIT_TARGET))
            bounds: list[tuple[datetime, datetime | None]] = []
            lower = start
            while lower <= stop:
                upper = lower + step
                # Inclusive ranges at one-second grain: a piece ends a second before the next.
                bounds.append((lower, upper - timedelta(seconds=1) if upper <= stop else end))
                lower = upper
            for first, last in reversed(bounds):
                async for run in self._runs_window(path, first, last, None, seen):
                    yield run
            return
        while True:
            for run in runs:
                moment = _created(run)
                if moment is not None and (moment < start.replace(microsecond=0) or
                                           (end is not None and moment > end)):
                    raise response.malformed(
                        f"run {run.get('id')} was created at {run.get('created_at')}, outside "
                        f"created={created}: the server ignored the created filter")
                run_id = run.get("id")
                if isinstance(run_id, int) and run_id not in seen:
                    seen.add(run_id)
                    yield run
            next_url = response.links.get("next")
            if next_url is None:
                return
            response = await self.http.get(next_url)
            _, runs = _runs_page(response)

    async def list_run_jobs_raw(self, repo: str, run_id: int, attempt: int | None = None
                                ) -> list[dict[str, Any]]:
        """A run's jobs as GitHub's raw JSON. Without ``attempt``: the jobs of every attempt
        (``gh api 'repos/O/R/actions/runs/ID/jobs?filter=all&per_page=100' --paginate``); with
        it, that attempt's only (``…/runs/ID/attempts/N/jobs``)."""
        path = (f"repos/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs"
                if attempt is not None else f"repos/{repo}/actions/runs/{run_id}/jobs")
        params: dict[str, Any] = {"per_page": 100}
        if attempt is None:
            params["filter"] = "all"
        jobs: list[dict[str, Any]] = []
        async for job in self.http.paginate(path, params=params, item_key="jobs"):
            if not isinstance(job, dict):
                raise MalformedResponseError("github", "GET", self.http.url(path),
                                             f"a job is {type(job).__name__}, not an object")
            jobs.append(job)
        return jobs

    async def workflow_file(self, repo: str, path: str, sha: str) -> str | None:
        """A workflow file's text at a commit (``gh api 'repos/O/R/contents/PATH?ref=SHA'``);
        None when the commit has no such file."""
        content = await self.get_contents(repo, path, ref=sha)
        if content is None or content.type != "file":
            return None
        return content.text

    # -- webhook deliveries (gap repair asks GitHub to send again) -------------------------

    async def list_hook_deliveries(self, repo: str, hook_id: int,
                                   since: datetime | None = None) -> list[HookDelivery]:
        """A repository webhook's deliveries, newest first, back to ``since``
        (``gh api 'repos/O/R/hooks/ID/deliveries?per_page=100' --paginate``: cursor pages)."""
        return await self._deliveries(f"repos/{repo}/hooks/{hook_id}/deliveries", since)

    async def redeliver_hook_delivery(self, repo: str, hook_id: int, delivery_id: int) -> None:
        """Ask GitHub to send a delivery again (``gh api -X POST
        repos/O/R/hooks/ID/deliveries/DELIVERY/attempts``); it answers 202 and sends later."""
        await self.http.post(
            f"repos/{repo}/hooks/{hook_id}/deliveries/{delivery_id}/attempts", json={})

    async def list_org_hook_deliveries(self, org: str, hook_id: int,
                                       since: datetime | None = None) -> list[HookDelivery]:
        """An organization webhook's deliveries, newest first, back to ``since``
        (``gh api 'orgs/ORG/hooks/ID/deliveries?per_page=100' --paginate``)."""
        return await self._deliveries(f"orgs/{org}/hooks/{hook_id}/deliveries", since)

    async def redeliver_org_hook_delivery(self, org: str, hook_id: int, delivery_id: int
                                          ) -> None:
        """``gh api -X POST orgs/ORG/hooks/ID/deliveries/DELIVERY/attempts`` (202)."""
        await self.http.post(f"orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts",
                             json={})

    async def list_app_hook_deliveries(self, since: datetime | None = None
                                       ) -> list[HookDelivery]:
        """The GitHub App's webhook deliveries, newest first, back to ``since``
        (``GET /app/hook/deliveries``). Only a client built by ``as_app`` (a JWT) may ask."""
        return await self._deliveries("app/hook/deliveries", since)

    async def redeliver_app_hook_delivery(self, delivery_id: int) -> None:
        """``POST /app/hook/deliveries/DELIVERY/attempts`` (a client from ``as_app``)."""
        await self.http.post(f"app/hook/deliveries/{delivery_id}/attempts", json={})

    def as_app(self, jwt: str) -> GitHubClient:
        """This client authenticated as the GitHub App itself, with a JWT the user made from
        the App's private key (the cockpit does not mint JWTs). It shares the connection
        pool, the redactor (the JWT is registered with it) and the request log; its manual
        equivalents are ``curl`` lines, since ``gh`` cannot send a JWT as a bearer token."""
        http = self.http
        app = HttpClient(http.base_url, service=http.service, token=jwt,
                         headers=http.headers, redact=http.redact, read_only=http.read_only,
                         retry=http.retry, timeout=http.timeout, manual_style="curl",
                         on_request=http.on_request, on_wait=http.on_wait, clock=http.clock,
                         sleep=http.sleep, rand=http.rand,
                         client=http._client)  # one pool; closing the App's leaves it open
        return GitHubClient.from_http(app)

    async def _deliveries(self, path: str, since: datetime | None) -> list[HookDelivery]:
        out: list[HookDelivery] = []
        async for item in self.http.paginate(path, params={"per_page": 100}, max_pages=1000):
            delivery = _parse(HookDelivery, item, "GET", self.http.url(path))
            when = delivery.delivered
            if since is not None and when is not None and when < since:
                break  # newest first: the rest are older still
            out.append(delivery)
        return out

    async def job_log(self, repo: str, job_id: int) -> str:
        """A job's plain-text log. GitHub answers 302 to a short-lived pre-signed URL;
        we follow it *without* the token (it must not leak to the blob store)."""
        response = await self.http.get(f"repos/{repo}/actions/jobs/{job_id}/logs",
                                       ok=(302,), etag=False)
        location = response.headers.get("location")
        if response.status != 302 or not location:
            return response.text
        target = str(httpx.URL(response.url).join(location))
        blob = await self.http.get(target, auth=False, etag=False)
        return blob.text


def _runs_page(response: Response) -> tuple[int, list[dict[str, Any]]]:
    """(``total_count``, ``workflow_runs``) of one page of a run listing."""
    data = response.json()
    runs = data.get("workflow_runs") if isinstance(data, dict) else None
    total = data.get("total_count") if isinstance(data, dict) else None
    if not isinstance(runs, list) or not all(isinstance(run, dict) for run in runs) \
            or not isinstance(total, int):
        raise response.malformed("expected an object with total_count and a list of "
                                 "workflow_runs objects")
    return total, runs


def _parse(model: type[M], data: Any, method: str, url: str) -> M:
    """``model`` from a response's JSON; a wrong shape is a ``MalformedResponseError``
    naming the request and the first bad field, never a pydantic traceback."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        raise MalformedResponseError("github", method, url,
                                     f"{model.__name__}: {where}: {first['msg']}") from None
