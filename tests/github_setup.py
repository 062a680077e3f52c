"""Get-or-create helpers that set up a GitHub world (the sandbox) for tests and benchmarks.

Why here and not on ``GitHubClient``: no kind creates a branch, a pull request or a
release this way — the kinds look, create once, and leave an ambiguous answer to the
engine's re-check — so these were product code used only by tests. They are thin
pairs of the client's own lookup and create, passed to ``GitHubClient.get_or_create``
(look first; on an ambiguous failure or a 422, look again instead of guessing), so the
rerun-safety they show is still the client's.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx

from cockpit.sandbox.testing import SandboxHandle
from cockpit.services.github import Branch, GitHubClient, Pull, Release


async def ensure_branch(gh: GitHubClient, repo: str, branch: str, from_sha: str
                        ) -> tuple[Branch, bool]:
    """(branch, created): create ``branch`` at ``from_sha`` unless it exists."""

    async def create() -> Branch:
        await gh.create_ref(repo, f"refs/heads/{branch}", from_sha)
        made = await gh.get_branch(repo, branch)
        assert made is not None, "GitHub reported the branch created but cannot find it"
        return made

    return await gh.get_or_create(lambda: gh.get_branch(repo, branch), create)


async def ensure_pull(gh: GitHubClient, repo: str, *, title: str, head: str, base: str,
                      body: str = "", draft: bool = False) -> tuple[Pull, bool]:
    """(pull, created): the open or merged PR head→base (``find_pull``), else a new one."""
    return await gh.get_or_create(
        lambda: gh.find_pull(repo, head, base),
        lambda: gh.create_pull(repo, title=title, head=head, base=base, body=body,
                               draft=draft))


async def ensure_release(gh: GitHubClient, repo: str, *, tag: str, name: str, body: str,
                         prerelease: bool = False) -> tuple[Release, bool]:
    """(release, created): the published release of ``tag``, else a new one."""
    return await gh.get_or_create(
        lambda: gh.get_release_by_tag(repo, tag),
        lambda: gh.create_release(repo, tag=tag, name=name, body=body,
                                  prerelease=prerelease))


def push_to_branch(sandbox: SandboxHandle, repo: str, path: str, text: str,
                   branch: str = "master") -> str:
    """Someone else's commit on ``branch`` (``path`` written with ``text``, through the
    contents API as the admin): the branch moves under a driver. Returns the new head."""
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    url = f"{sandbox.api_url}/repos/{repo}/contents/{path}"
    found = httpx.get(url, headers=headers, params={"ref": branch})
    body: dict[str, Any] = {"message": f"docs: {text}", "branch": branch,
                            "content": base64.b64encode(text.encode()).decode()}
    if found.status_code == 200:
        body["sha"] = found.json()["sha"]
    put = httpx.put(url, headers=headers, json=body)
    assert put.status_code in (200, 201), put.text
    return str(put.json()["commit"]["sha"])


def lift_protection(sandbox: SandboxHandle, repo: str, branch: str) -> None:
    """Remove ``branch``'s protection, as a repository admin does before changing a
    protected branch by hand (the sandbox, like GitHub, refuses direct pushes to
    ``release``: it takes changes through approved pull requests)."""
    answer = httpx.delete(f"{sandbox.api_url}/repos/{repo}/branches/{branch}/protection",
                          headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert answer.status_code == 204, answer.text


async def await_mergeable(gh: GitHubClient, repo: str, number: int, seconds: float = 20.0
                          ) -> None:
    """Until pull ``number``'s checks completed and it has an approval: what a protected
    base (Kubo's ``release``) requires before GitHub merges it. The sandbox's simulated
    reviewer approves pulls into ``release``; a test that turned it off approves itself."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        pull = (await gh.http.get(f"repos/{repo}/pulls/{number}")).json()
        runs = (await gh.http.get(f"repos/{repo}/commits/{pull['head']['sha']}/check-runs")
                ).json()["check_runs"]
        reviews = (await gh.http.get(f"repos/{repo}/pulls/{number}/reviews")).json()
        if runs and all(r["status"] == "completed" for r in runs) and \
                any(r["state"] == "APPROVED" for r in reviews):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{repo}#{number}: checks or approval still missing")
