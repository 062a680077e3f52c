"""preflight.* kinds against the sandbox and the local machine (git, gpg)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cockpit.model import Outcome
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import KUBO, Run, api, built_in, outcomes


async def test_preflight_passes_on_the_sandbox(sandbox: SandboxHandle) -> None:
    run = Run([
        ("gh", "preflight.token", {"service": "github", "scopes": ["repo", "workflow"],
                                   "purpose": "push"}),
        ("mx", "preflight.token", {"service": "matrix"}),
        ("dc", "preflight.token", {"service": "discourse", "url": "https://discuss.ipfs.tech"}),
        ("rd", "preflight.token", {"service": "reddit"}),
        ("access", "preflight.repo-access", {"repo": KUBO, "permission": "push",
                                             "branches": ["release", "master"]}),
        ("wf", "preflight.workflow", {"repo": KUBO, "workflow": "docker.yml",
                                      "name": "Publish docker image"}),
        ("id", "preflight.git-identity", {"require_name": True, "require_email": True}),
        ("git", "preflight.tool", {"tool": "git", "version_args": ["--version"],
                                   "min_version": "2.0"}),
        ("valid", "preflight.version-valid", {"version": "v0.30.0-rc1"}),
        ("newer", "preflight.version-newer", {"repo": KUBO, "version": "v0.30.0-rc1"}),
    ], "v0.30.0-rc1")
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert not sandbox.requests(mutating=True)
    text = run.log_text() + repr(report)
    for secret in (sandbox.admin_token, "sandbox-matrix-token", "sandbox-discourse-key",
                   "sandbox-reddit-token"):
        assert secret not in text


@pytest.mark.parametrize(("kind", "params", "reason"), [
    ("preflight.version-valid", {"version": "0.30"}, "does not match"),
    ("preflight.version-newer", {"repo": KUBO, "version": "v0.28.9-rc1"},
     "not newer than v0.29.0"),
    ("preflight.version-newer", {"repo": KUBO, "version": "v0.28.5",
                                 "tag_must_not_exist": False}, "not newer than v0.29.0"),
    ("preflight.tool", {"tool": "no-such-tool-xyz"}, "not on PATH"),
    ("preflight.tool", {"tool": "git", "min_version": "99.0"}, "older than 99.0"),
    ("preflight.workflow", {"repo": KUBO, "workflow": "nope.yml"}, "no workflow"),
    ("preflight.repo-access", {"repo": KUBO, "branches": ["nope"]}, "no branch nope"),
])
async def test_preflight_failures_say_why(sandbox: SandboxHandle, kind: str,
                                          params: dict[str, object], reason: str) -> None:
    run = Run([("x", kind, params)], "v0.30.0", abort=True)
    report = await run()
    assert report.outcome is Outcome.ABORTED
    assert reason in report.actions[0].reason, report.actions[0].reason


async def test_version_newer_lets_a_tagged_release_resume(
        sandbox: SandboxHandle) -> None:
    """Its own tag and nothing newer: the release is under way, so a rerun of preflight
    (after the tag stage, or from another machine) passes instead of stopping it."""
    run = Run([("newer", "preflight.version-newer", {"repo": KUBO, "version": "v0.29.0"})],
              "v0.29.0")
    report = await run()
    assert outcomes(report) == {"newer": Outcome.DONE}, report
    assert "under way" in report.actions[0].reason


async def test_version_newer_finds_an_earlier_finished_release_done(
        sandbox: SandboxHandle) -> None:
    """Its own tag and a newer release: made before the newer one. Looking at it later
    (status, a shadow, the history) must not call its preflight failed."""
    run = Run([("newer", "preflight.version-newer", {"repo": KUBO, "version": "v0.29.0-rc1"})],
              "v0.29.0-rc1")
    report = await run()
    assert outcomes(report) == {"newer": Outcome.DONE}, report
    assert "made before v0.29.0" in report.actions[0].reason


async def test_missing_or_bad_token_says_how_to_set_it(sandbox: SandboxHandle,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCKPIT_MATRIX_TOKEN")
    monkeypatch.setenv("COCKPIT_REDDIT_TOKEN", "wrong-reddit-secret")
    reasons = []
    for service in ("matrix", "reddit"):
        run = Run([("t", "preflight.token", {"service": service})], "v0.30.0",
                  abort=True)
        report = await run()
        assert report.outcome is Outcome.ABORTED
        reasons.append(report.actions[0].reason)
    assert "set COCKPIT_MATRIX_TOKEN" in reasons[0]
    assert "refused (401)" in reasons[1]
    assert "export COCKPIT_REDDIT_TOKEN" in reasons[1]
    assert "wrong-reddit-secret" not in run.log_text() + repr(report)


async def test_signing_key_found_and_usable(sandbox: SandboxHandle,
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    try:
        await _signing_key_found_and_usable()
    finally:  # the test signature started a gpg-agent for this home: it would outlive us
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], check=False, capture_output=True)


async def _signing_key_found_and_usable() -> None:
    params = {"program": "gpg", "match_email": True, "test_sign": True}
    missing = Run([("k", "preflight.signing-key", params)], "v0.30.0", abort=True)
    report = await missing()
    assert report.outcome is Outcome.ABORTED
    assert "no secret key for driver@example.invalid" in report.actions[0].reason
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                    "Test Driver <driver@example.invalid>", "ed25519", "sign", "never"],
                   check=True, capture_output=True)
    found = Run([("k", "preflight.signing-key", params)], "v0.30.0")
    report = await found()
    assert outcomes(report) == {"k": Outcome.DONE}, report
    assert "can sign" in report.actions[0].reason


async def test_signing_key_must_be_registered_on_github(sandbox: SandboxHandle,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Local and usable is not enough for Kubo: the key must be on the token's account,
    and the fix says exactly how to put it there."""
    from tests.gpgkeys import gpg_key, register

    params = {"program": "gpg", "match_email": True, "test_sign": True,
              "registered_on_github": True}
    with gpg_key("Test Driver <driver@example.invalid>") as key:
        monkeypatch.setenv("GNUPGHOME", str(key.home))
        unregistered = await Run([("k", "preflight.signing-key", params)], "v0.30.0",
                                 abort=True)()
        assert unregistered.outcome is Outcome.ABORTED
        reason = unregistered.actions[0].reason
        assert f"{key.fingerprint} can sign but is not registered" in reason
        assert "GitHub account release-driver" in reason
        assert f"gpg --armor --export {key.fingerprint} | gh gpg-key add -" in reason
        assert f"{sandbox.base_url}/settings/gpg/new" in reason
        register(sandbox.api_url, sandbox.admin_token, key)
        registered = await Run([("k", "preflight.signing-key", params)], "v0.30.0")()
    assert outcomes(registered) == {"k": Outcome.DONE}, registered
    assert "registered on GitHub for release-driver" in registered.actions[0].reason


GO_CHECKS = built_in("preflight/go-dist-tool-versions", "preflight/go-dist-ci",
                     "preflight/go-docs-ci")


async def test_downstream_go_versions_match_kubos_go_mod(sandbox: SandboxHandle) -> None:
    run = Run(GO_CHECKS, "v0.30.0")
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert [a.reason for a in report.actions] == [
        "ipfs/distributions .tool-versions: Go 1.22.4, as ipfs/kubo's go.mod (1.22)",
        "ipfs/distributions .github/workflows/main.yml: Go 1.22.x, as ipfs/kubo's go.mod (1.22)",
        "ipfs/ipfs-docs .github/workflows/update-on-new-ipfs-tag.yml: Go 1.22.x, as "
        "ipfs/kubo's go.mod (1.22)"]
    assert not sandbox.requests(mutating=True)


async def test_a_go_version_behind_go_mod_fails_with_the_fix(sandbox: SandboxHandle) -> None:
    """Kubo moves to Go 1.23 (a toolchain line): the distributions, still on 1.22, fail."""
    async with api(sandbox) as gh:
        go_mod = await gh.get_contents(KUBO, "go.mod", ref="master")
        assert go_mod is not None
        await gh.put_contents(KUBO, "go.mod", go_mod.text + "\ntoolchain go1.23.2\n",
                              "chore: go 1.23", "master", sha=go_mod.sha)
    report = await Run(built_in("preflight/go-dist-tool-versions"), abort=True)()
    assert report.outcome is Outcome.ABORTED
    assert report.actions[0].reason == (
        "aborted by the driver: .tool-versions of ipfs/distributions uses Go 1.22.4 but "
        "ipfs/kubo's go.mod says 1.23.2: open a pull request on ipfs/distributions setting "
        ".tool-versions to Go 1.23 and merge it, then retry")
    nothing = await Run([("go", "preflight.go-version", {
        "go_mod_repo": KUBO, "go_mod_ref": "master", "repo": "ipfs/distributions",
        "ref": "master", "path": ".tool-versions", "pattern": r"^rust\s+(\S+)"})], abort=True)()
    assert "names no Go version (nothing matches" in nothing.actions[0].reason
