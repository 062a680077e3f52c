"""Preflight: read-only checks that the driver can actually do the release.

Every kind here is a ``Verify``: it only reads (the environment, git config, gpg, the
services) and cannot fix what it finds; its ``fix()`` is the exact fix, which the failed
result shows, and the engine asks the human. A token is never printed: messages name
the environment variable, not its value.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import subprocess
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from cockpit.actions.base import REGEX, Params, Verify, code_block, register
from cockpit.model import CheckResult, PreKind, Version, VersionError, VersionFormat
from cockpit.secrets import TOKEN_ENV, find_token
from cockpit.services.github import PERMISSIONS
from cockpit.services.gpg import git_config, git_identity, run_gpg, secret_fingerprint
from cockpit.services.http import HttpError
from cockpit.services.reads import FileAt, Read, RepoInfo, ref_at_branch

if TYPE_CHECKING:
    from cockpit.context import Session

TOKEN_HELP = {
    "github": "a classic token with the `repo` and `workflow` scopes "
              "({github}/settings/tokens), or `$(gh auth token)`",
    "matrix": "the access token of the release account (Element: Settings → Help & About "
              "→ Access Token)",
    "discourse": "a user API key of the release account (Discourse admin → API → New key)",
    "reddit": "an OAuth bearer token of the release account ({reddit}/prefs/apps)",
    "discord": "the webhook URL of the announcement channel",
}
"""Where each token comes from; ``{github}`` and ``{reddit}`` are the configured web
addresses (a sandbox's own, in the demo)."""


def how_to_set(service: str) -> str:
    """The exact fix for a missing or bad token, naming only the variable."""
    from cockpit.settings import Settings

    settings = Settings()
    names = TOKEN_ENV.get(service, (f"COCKPIT_{service.upper()}_TOKEN",))
    where = TOKEN_HELP.get(service, "the service token").format(
        github=settings.github_url, reddit=settings.reddit_web_url.rstrip("/"))
    return (f"run `cockpit login {service}` (keeps it in the system keyring), or set "
            f"{names[0]} to {where}: "
            f"`export {names[0]}=…` (never commit it)")


# -- tokens --------------------------------------------------------------------------------

class TokenParams(Params):
    service: Literal["github", "matrix", "discourse", "reddit", "discord"]
    scopes: list[str] = []
    """Required classic-token scopes, where the service reports them (GitHub)."""
    url: str = ""
    """The public site (for the explanation); API calls go to the configured endpoint."""
    purpose: str = ""


@register
class TokenCheck(Verify[TokenParams]):
    kind = "preflight.token"
    summary = "Check that a service token is present, valid, and has the needed scopes"

    def fix(self) -> str:
        return how_to_set(self.params.service)

    def explain(self) -> str:
        p = self.params
        var = TOKEN_ENV.get(p.service, ("?",))[0]
        manual = {
            "github": ["gh api -i user | grep -i x-oauth-scopes"],
            "matrix": [f'curl -fsS -H "Authorization: Bearer ${var}" '
                       f"{self.ctx.settings.matrix_url}/_matrix/client/v3/account/whoami"],
            "discourse": [f'curl -fsS -H "Api-Key: ${var}" -H "Api-Username: system" '
                          f"{p.url or self.ctx.settings.discourse_url}/session/current.json"],
            "reddit": [f'curl -fsS -H "Authorization: Bearer ${var}" '
                       f"{self.ctx.settings.reddit_url}/api/v1/me"],
            "discord": [f'test -n "${var}"'],
        }[p.service]
        scopes = f" with the scopes {', '.join(p.scopes)}" if p.scopes else ""
        why = f" It is needed to {p.purpose}." if p.purpose else ""
        return (f"Checks that the {p.service} token is set (in the system keyring by "
                f"`cockpit login {p.service}`, else in `${var}`), that the service "
                f"accepts it{scopes}.{why} Finding a missing or expired token now is much "
                "cheaper than finding it halfway through the release. The token itself is "
                "never shown.\n\n" + code_block(*manual))

    async def check(self) -> CheckResult:
        p = self.params
        token = find_token(p.service)
        if not token:
            return CheckResult.failed(f"no {p.service} token: {self.fix()}")
        try:
            return await self._validate()
        except HttpError as exc:
            if exc.status in (401, 403):
                return CheckResult.failed(f"the {p.service} token was refused "
                                          f"({exc.status}): {self.fix()}")
            raise

    async def _validate(self) -> CheckResult:
        p = self.params
        if p.service == "github":
            # One GET gives both the owner and (for a classic token) the scopes.
            owner = await self.ctx.github().token_user()
            login, scopes = owner.login, owner.scopes
            if scopes is None:
                return CheckResult.done(f"GitHub token of {login} is valid (fine-grained "
                                        "token: scopes not reported, checked per repository)")
            missing = [s for s in p.scopes if s not in scopes]
            if missing:
                return CheckResult.failed(
                    f"the GitHub token of {login} lacks the scopes {', '.join(missing)} "
                    f"(has: {', '.join(scopes) or 'none'}): {self.fix()}")
            return CheckResult.done(f"GitHub token of {login} is valid "
                                    f"(scopes {', '.join(scopes) or 'none'})")
        if p.service == "matrix":
            data = (await self.ctx.matrix().http.get("_matrix/client/v3/account/whoami")).json()
            return CheckResult.done(f"Matrix token of {data['user_id']} is valid")
        if p.service == "reddit":
            data = (await self.ctx.reddit().http.get("api/v1/me")).json()
            return CheckResult.done(f"Reddit token of u/{data['name']} is valid")
        if p.service == "discourse":
            response = await self.ctx.discourse().http.get("session/current.json", ok=(404,))
            if response.status == 404:
                return CheckResult.done("Discourse API key is set (this site does not "
                                        "answer session/current.json: not verified further)")
            current = response.json().get("current_user") or {}
            if not current:
                return CheckResult.failed(f"the Discourse API key is not accepted: {self.fix()}")
            return CheckResult.done(f"Discourse API key of {current.get('username')} is valid")
        return CheckResult.done(f"{p.service} secret is set")


# -- GitHub access ------------------------------------------------------------------------


class RepoAccessParams(Params):
    repo: str
    permission: Literal["pull", "triage", "push", "maintain", "admin"] = "push"
    branches: list[str] = []


@register
class RepoAccess(Verify[RepoAccessParams]):
    kind = "preflight.repo-access"
    summary = "Check the GitHub token's permission on a repository and that branches exist"

    def fix(self) -> str:
        p = self.params
        return (f"ask a maintainer of {p.repo} to give your account {p.permission} access "
                f"(Settings → Collaborators and teams), or use a token that has it; "
                f"{how_to_set('github')}")

    def explain(self) -> str:
        p = self.params
        lines = [f"gh api repos/{p.repo} --jq .permissions"]
        lines += [f"gh api repos/{p.repo}/branches/{b} --jq .commit.sha" for b in p.branches]
        branches = (f" and that the branches {', '.join(p.branches)} exist"
                    if p.branches else "")
        return (f"Checks that the GitHub token has **{p.permission}** permission on "
                f"**{p.repo}**{branches}. The release pushes branches, opens issues and "
                "dispatches workflows there; a missing permission found late leaves the "
                "release half done.\n\n" + code_block(*lines))

    def reads(self) -> list[Read]:
        p = self.params
        return [RepoInfo(p.repo), *(ref_at_branch(p.repo, b) for b in p.branches)]

    async def check(self) -> CheckResult:
        p = self.params
        gh = self.ctx.github()
        found = await gh.find_repo(p.repo)
        if found is None:
            return CheckResult.failed(f"{p.repo} is not visible to this token: {self.fix()}")
        perms = found.permissions or {}
        needed = PERMISSIONS.index(p.permission)
        if not any(perms.get(level) for level in PERMISSIONS[needed:]):
            held = [k for k, v in perms.items() if v] or ["none"]
            return CheckResult.failed(f"no {p.permission} permission on {p.repo} "
                                      f"(has: {', '.join(held)}): {self.fix()}")
        missing = [b for b in p.branches if await gh.get_branch(p.repo, b) is None]
        if missing:
            return CheckResult.failed(f"{p.repo} has no branch {', '.join(missing)}")
        return CheckResult.done(f"{p.permission} access to {p.repo}"
                                + (f"; branches {', '.join(p.branches)} exist"
                                   if p.branches else ""))


class WorkflowParams(Params):
    repo: str
    workflow: str
    """File name under .github/workflows (``docker.yml``)."""
    name: str = ""
    """Expected display name (empty: not checked)."""


@register
class WorkflowCheck(Verify[WorkflowParams]):
    kind = "preflight.workflow"
    summary = "Check that a workflow file exists and is enabled in a repository"

    def fix(self) -> str:
        p = self.params
        return (f"enable it: `gh workflow enable {p.workflow} -R {p.repo}` (or restore "
                f".github/workflows/{p.workflow}), then retry")

    def explain(self) -> str:
        p = self.params
        return (f"Checks that the workflow `{p.workflow}`"
                + (f" (\"{p.name}\")" if p.name else "")
                + f" exists in **{p.repo}** and is enabled: the release waits on its runs "
                "later, and a disabled workflow would never start.\n\n"
                + code_block(f"gh workflow view {p.workflow} -R {p.repo}",
                             f"gh api repos/{p.repo}/actions/workflows/{p.workflow} "
                             "--jq '.name, .state'"))

    async def check(self) -> CheckResult:
        p = self.params
        found = await self.ctx.github().get_workflow(p.repo, p.workflow)
        if found is None:
            return CheckResult.failed(f"{p.repo} has no workflow {p.workflow}")
        link = found.html_url or None
        if p.name and found.name != p.name:
            return CheckResult.failed(f"workflow {p.workflow} is named {found.name!r}, "
                                      f"expected {p.name!r}", link)
        if found.state != "active":
            return CheckResult.failed(f"workflow {p.workflow} is {found.state}: {self.fix()}",
                                      link)
        return CheckResult.done(f"workflow {found.name!r} ({p.workflow}) is enabled", link)


# -- local setup ---------------------------------------------------------------------------

class GitIdentityParams(Params):
    require_name: bool = True
    require_email: bool = True


@register
class GitIdentity(Verify[GitIdentityParams]):
    kind = "preflight.git-identity"
    summary = "Check that git user.name and user.email are configured"

    def fix(self) -> str:
        return ('run `git config --global user.name "Your Name"` and '
                "`git config --global user.email you@example.org`")

    def explain(self) -> str:
        return ("Checks that git knows who you are: the release's commits, merge commits "
                "and the signed tag carry this identity, and the signing key is looked up "
                "by its email.\n\n"
                + code_block("git config --get user.name", "git config --get user.email"))

    async def check(self) -> CheckResult:
        p = self.params
        name, email = await asyncio.to_thread(git_identity)
        missing = [what for what, needed, value in (("user.name", p.require_name, name),
                                                     ("user.email", p.require_email, email))
                   if needed and not value]
        if missing:
            return CheckResult.failed(f"git {' and '.join(missing)} not set: {self.fix()}")
        return CheckResult.done(f"git identity: {name} <{email}>")


class SigningKeyParams(Params):
    program: str = "gpg"
    match_email: bool = True
    """Without ``user.signingkey``: look up a secret key by the git email."""
    test_sign: bool = True
    """Sign a test message (proves the key is usable, e.g. the agent can unlock it)."""
    registered_on_github: bool = False
    """The key is also registered on the GitHub token's account (``gh gpg-key list``):
    without it GitHub shows the signed tag as *Unverified*, and the tag's reviewer refuses
    to approve."""


@register
class SigningKey(Verify[SigningKeyParams]):
    kind = "preflight.signing-key"
    summary = "Check that a GPG secret key for the git identity can sign"

    def fix(self) -> str:
        p = self.params
        register = f"; then {self.register_fix('<KEYID>')}" if p.registered_on_github else ""
        return (f"create or import a secret key (`{p.program} --full-generate-key`), tell git "
                f"which one (`git config --global user.signingkey <KEYID>`), and make sure "
                f"`echo test | {p.program} --clearsign` works without a prompt{register}")

    def register_fix(self, fingerprint: str) -> str:
        """The exact way to register the key on GitHub."""
        export = f"{self.params.program} --armor --export {fingerprint}"
        return (f"register it: `{export} | gh gpg-key add -`, or paste the output of "
                f"`{export}` at {self.ctx.settings.github_url}/settings/gpg/new")

    def explain(self) -> str:
        p = self.params
        registered = (" It must also be registered on your GitHub account, or GitHub shows "
                      "the tag as unverified." if p.registered_on_github else "")
        email = " || git config --get user.email" if p.match_email else ""
        lines = [f"key=$(git config --get user.signingkey{email})",
                 f'{p.program} --list-secret-keys "$key"',
                 f'echo test | {p.program} --local-user "$key" --clearsign']
        if p.registered_on_github:
            lines.append("gh gpg-key list   # the key id must be listed")
        return ("Checks that a GPG secret key is available for signing the release tag: "
                "`user.signingkey` from git config, or a key for your git email. Kubo's "
                "tags are signed so users can verify them; finding out at tag time that "
                f"the key is missing or locked stalls the release.{registered}\n\n"
                + code_block(*lines))

    def _run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_gpg(self.params.program, *args, stdin=stdin)

    async def check(self) -> CheckResult:
        p = self.params
        if shutil.which(p.program) is None:
            return CheckResult.failed(f"{p.program} is not on PATH: install GnuPG")
        key = await asyncio.to_thread(git_config, "user.signingkey")
        if not key and p.match_email:
            _, key = await asyncio.to_thread(git_identity)
        if not key:
            return CheckResult.failed(f"no signing key configured: {self.fix()}")
        fpr = await asyncio.to_thread(secret_fingerprint, p.program, key)
        if fpr is None:
            return CheckResult.failed(f"{p.program} has no secret key for {key}: {self.fix()}")
        if p.test_sign:
            signed = await asyncio.to_thread(self._run, "--local-user", key, "--clearsign",
                                             stdin="cockpit signing test\n")
            if signed.returncode != 0:
                err = signed.stderr.strip().splitlines()[-1:] or ["?"]
                return CheckResult.failed(f"the key {key} cannot sign ({err[0]}): "
                                          f"{self.fix()}")
        registered = ""
        if p.registered_on_github:
            gh = self.ctx.github()
            login = (await gh.user()).login
            if not any(k.matches(fpr) for k in await gh.gpg_keys(login)):
                return CheckResult.failed(
                    f"the key {fpr} can sign but is not registered on the GitHub account "
                    f"{login} (GitHub would show the tag as unverified): "
                    f"{self.register_fix(fpr)}")
            registered = f", registered on GitHub for {login}"
        return CheckResult.done(f"secret key {fpr} for {key}"
                                + (" can sign" if p.test_sign else "") + registered)


class ToolParams(Params):
    tool: str
    version_args: list[str] = ["--version"]
    min_version: str = ""
    purpose: str = ""
    required: bool = True
    """False for a tool the release itself never runs (``gh`` only serves the manual
    equivalents shown beside each step): missing or too old, it is a warning, not a stop."""


def _version_tuple(text: str) -> tuple[int, ...] | None:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if match is None:
        return None
    return tuple(int(g) for g in match.groups() if g is not None)


@register
class ToolCheck(Verify[ToolParams]):
    kind = "preflight.tool"
    summary = "Check that a tool is on PATH, optionally at a minimum version"

    def fix(self) -> str:
        p = self.params
        least = f" (at least {p.min_version})" if p.min_version else ""
        return f"install {p.tool}{least} and make sure it is on PATH, then retry"

    def explain(self) -> str:
        p = self.params
        why = f" It is used for {p.purpose}." if p.purpose else ""
        least = f", at least version {p.min_version}" if p.min_version else ""
        advisory = ("" if p.required else " The release does not run it: without it this "
                    "step passes with a warning, and only its manual equivalents are out of "
                    "reach.")
        return (f"Checks that `{p.tool}` is installed{least}.{why}{advisory}\n\n"
                + code_block(f"command -v {p.tool}", " ".join([p.tool, *p.version_args])))

    def _missing(self, reason: str) -> CheckResult:
        """A stop for a required tool; for an advisory one, done with a warning that says
        what is out of reach without it and how to get it."""
        p = self.params
        if p.required:
            return CheckResult.failed(reason)
        serves = f" (it only serves {p.purpose})" if p.purpose else ""
        return CheckResult.done(f"warning: {reason}{serves}; the release goes on without it")

    async def check(self) -> CheckResult:
        p = self.params
        path = shutil.which(p.tool)
        if path is None:
            return self._missing(f"{p.tool} is not on PATH: {self.fix()}")
        try:
            out = await asyncio.to_thread(
                subprocess.run, [path, *p.version_args], capture_output=True, text=True,
                check=False, timeout=30)
            text = (out.stdout or out.stderr).strip()
        except (OSError, subprocess.TimeoutExpired) as exc:
            return CheckResult.failed(f"{path} {' '.join(p.version_args)} failed: {exc}")
        first = text.splitlines()[0] if text else ""
        if p.min_version:
            have, need = _version_tuple(text), _version_tuple(p.min_version)
            if have is None or need is None:
                return CheckResult.failed(f"cannot read the version of {p.tool} from {first!r}")
            if have < need:
                return self._missing(f"{p.tool} is {'.'.join(map(str, have))}, older "
                                     f"than {p.min_version}: {self.fix()}")
        return CheckResult.done(f"{path}: {first}")


# -- the version ---------------------------------------------------------------------------

class VersionValidParams(Params):
    version: str
    pattern: str = Field(default=r"^v[0-9]+\.[0-9]+\.[0-9]+(-rc[1-9][0-9]*)?$",
                         json_schema_extra=REGEX)


@register
class VersionValid(Verify[VersionValidParams]):
    kind = "preflight.version-valid"
    summary = "Check that the version has Kubo's vX.Y.Z[-rcN] form"

    def fix(self) -> str:
        form = version_format(self.ctx.session)
        return (f"start the release again with a version such as {form.example(PreKind.RC).tag}"
                f" or {form.example().tag}")

    def explain(self) -> str:
        p = self.params
        return (f"Checks that `{p.version}` matches `{p.pattern}`: the tag, the branch "
                "names and every announcement are derived from it, so a typo here would "
                "spread everywhere.\n\n"
                + code_block(f"echo {p.version} | grep -E '{p.pattern}'"))

    async def check(self) -> CheckResult:
        p = self.params
        if re.search(p.pattern, p.version) is None:
            return CheckResult.failed(f"{p.version!r} does not match {p.pattern}: {self.fix()}")
        try:
            version_format(self.ctx.session).parse(p.version)
        except VersionError as exc:
            return CheckResult.failed(str(exc))
        return CheckResult.done(f"{p.version} is a valid version")


def version_format(session: Session) -> VersionFormat:
    """The release's own version format (its playbook's ``[versions]``), also while
    explaining without a version."""
    version = session.version
    return version.format if isinstance(version, Version) else (
        session.version_format or VersionFormat())


def version_key(v: Version) -> tuple[int, ...]:
    """Orders versions; a final release sorts after its pre-releases."""
    return v.sort_key()


class VersionNewerParams(Params):
    repo: str
    version: str
    include_prereleases: bool = True
    same_minor_series_only: bool = False
    tag_must_not_exist: bool = True


@register
class VersionNewer(Verify[VersionNewerParams]):
    kind = "preflight.version-newer"
    summary = "Check that the version is newer than the latest release and tag"

    def fix(self) -> str:
        return ("check the version you started with: it must be newer than every release "
                f"of {self.params.repo} and its tag must not exist yet")

    def explain(self) -> str:
        p = self.params
        return (f"Checks that `{p.version}` is newer than every release and tag of "
                f"**{p.repo}**"
                + (" in the same minor series" if p.same_minor_series_only else "")
                + (" (release candidates included)" if p.include_prereleases else "")
                + (" and that its tag does not exist yet, unless it is this release's own "
                   "(under way, or made before a newer one: its steps then find their work "
                   "done)" if p.tag_must_not_exist else "")
                + ". Releasing an older, untagged number is always a mistake.\n\n"
                + code_block(f"gh release list -R {p.repo} --limit 20",
                             f"git ls-remote --tags {self.ctx.settings.clone_url(p.repo)} "
                             f"'{version_format(self.ctx.session).tag_glob}'"))

    async def check(self) -> CheckResult:
        p = self.params
        form = version_format(self.ctx.session)
        try:
            mine = form.parse(p.version)
        except VersionError as exc:
            return CheckResult.failed(str(exc))
        repo = await self.ctx.git(p.repo)
        tags = (await repo.run("tag", "-l", form.tag_glob, manual=False)).split()
        tagged = p.version in tags
        releases = await self.ctx.github().list_releases(p.repo, limit=100)
        names = (set(tags) | {r.tag_name for r in releases if not r.draft}) - {p.version}
        known: list[Version] = []
        for name in names:
            try:
                v = form.parse(name)
            except VersionError:
                continue
            if v.is_prerelease and not p.include_prereleases:
                continue
            if p.same_minor_series_only and (v.major, v.minor) != (mine.major, mine.minor):
                continue
            known.append(v)
        latest = max(known, key=version_key) if known else None
        if latest is not None and version_key(mine) <= version_key(latest):
            if tagged and p.tag_must_not_exist:
                # Its own tag and something newer: this release was made before the newer
                # one. Looking at it again (status, a shadow, the history) or rerunning it
                # finds every step done; calling it failed would paint a finished release
                # red. An untagged older version still fails below: that is the typo.
                return CheckResult.done(f"{p.version} is already tagged in {p.repo} (made "
                                        f"before {latest.tag}, which is newer)")
            return CheckResult.failed(f"{p.version} is not newer than {latest.tag} in "
                                      f"{p.repo}: {self.fix()}")
        if tagged and p.tag_must_not_exist:
            # Its own tag, and nothing newer: this release is under way (a rerun, or another
            # machine picking it up), which every stage must allow. A tag of an older
            # version than the newest failed above: that is the mistake this step catches.
            return CheckResult.done(f"{p.version} is already tagged and nothing newer "
                                    "exists: this release is under way")
        if latest is None:
            return CheckResult.done(f"{p.version} is the first release considered in {p.repo}")
        return CheckResult.done(f"{p.version} is newer than {latest.tag}")


# -- the Go version downstream -------------------------------------------------------------

_GO_DIRECTIVE = re.compile(r"^go\s+(\d+\.\d+(?:\.\d+)?)\s*$", re.MULTILINE)
_TOOLCHAIN = re.compile(r"^toolchain\s+go(\d+\.\d+(?:\.\d+)?)\S*\s*$", re.MULTILINE)


def go_mod_version(go_mod: str) -> str | None:
    """The Go a go.mod builds with: its ``toolchain`` line, else its ``go`` directive."""
    found = _TOOLCHAIN.search(go_mod) or _GO_DIRECTIVE.search(go_mod)
    return found.group(1) if found else None


def go_minor(version: str) -> str | None:
    """``1.22`` of ``1.22.5``, ``"1.22.x"``, ``^1.22``, ``go1.22.3``; None if it is none."""
    found = re.search(r"(\d+)\.(\d+)", version)
    return f"{found.group(1)}.{found.group(2)}" if found else None


class GoVersionParams(Params):
    go_mod_repo: str
    """The repository whose go.mod says which Go the release is built with (Kubo)."""
    go_mod_ref: str
    """The branch or tag of that go.mod."""
    go_mod_path: str = "go.mod"
    """Where the go.mod is in that repository."""
    repo: str
    """The repository that must build with the same Go (minor version)."""
    ref: str
    """Its branch."""
    path: str
    """The file in it that sets its Go: ``.tool-versions``, a CI workflow."""
    pattern: str = Field(json_schema_extra=REGEX)
    """A regular expression whose first group is the Go version in that file, e.g.
    ``golang (\\S+)`` or ``go-version: ['"]?([^'"\\s]+)``; every match must agree."""


@register
class GoVersionMatches(Verify[GoVersionParams]):
    kind = "preflight.go-version"
    summary = "Check that a repository builds with the Go minor version of a go.mod"

    def explain(self) -> str:
        p = self.params
        return (f"Checks that `{p.path}` of **{p.repo}** (`{p.ref}`) uses the same Go minor "
                f"version as `{p.go_mod_path}` of **{p.go_mod_repo}** (`{p.go_mod_ref}`): the "
                "binaries and the docs are built downstream, and a Go older than the go.mod "
                "asks for fails that build, or silently builds with another toolchain. Only "
                "the minor version (1.22) must agree; the patch level may differ.\n\n"
                + code_block(f"gh api 'repos/{p.go_mod_repo}/contents/{p.go_mod_path}?ref="
                             f"{p.go_mod_ref}' --jq .content | base64 -d | grep -E "
                             "'^(go|toolchain) '",
                             f"gh api 'repos/{p.repo}/contents/{p.path}?ref={p.ref}' --jq "
                             f".content | base64 -d | grep -E {shlex.quote(p.pattern)}"))

    async def _text(self, repo: str, path: str, ref: str) -> str | CheckResult:
        found = await self.ctx.github().get_contents(repo, path, ref)
        if found is None or found.type != "file":
            return CheckResult.failed(f"no {path} on {ref} of {repo}")
        return found.text

    def reads(self) -> list[Read]:
        p = self.params
        return [FileAt(p.go_mod_repo, p.go_mod_path, p.go_mod_ref), FileAt(p.repo, p.path, p.ref)]

    async def check(self) -> CheckResult:
        p = self.params
        go_mod = await self._text(p.go_mod_repo, p.go_mod_path, p.go_mod_ref)
        if isinstance(go_mod, CheckResult):
            return go_mod
        wanted = go_mod_version(go_mod)
        if wanted is None:
            return CheckResult.failed(f"{p.go_mod_path} of {p.go_mod_repo} has no `go` line")
        text = await self._text(p.repo, p.path, p.ref)
        if isinstance(text, CheckResult):
            return text
        found = [m.group(1) for m in re.finditer(p.pattern, text, re.MULTILINE)]
        if not found:
            return CheckResult.failed(f"{p.path} of {p.repo} names no Go version (nothing "
                                      f"matches {p.pattern!r}): {self.fix()}")
        wrong = sorted({v for v in found if go_minor(v) != go_minor(wanted)})
        if wrong:
            return CheckResult.failed(
                f"{p.path} of {p.repo} uses Go {', '.join(wrong)} but {p.go_mod_repo}'s "
                f"{p.go_mod_path} says {wanted}: {self.fix(wanted)}")
        return CheckResult.done(f"{p.repo} {p.path}: Go {', '.join(sorted(set(found)))}, as "
                                f"{p.go_mod_repo}'s {p.go_mod_path} ({wanted})")

    def fix(self, wanted: str | None = None) -> str:
        p = self.params
        go = f"Go {go_minor(wanted)}" if wanted else f"the Go of {p.go_mod_repo}'s {p.go_mod_path}"
        return (f"open a pull request on {p.repo} setting {p.path} to {go} and merge it, "
                "then retry")
