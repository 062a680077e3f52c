"""Get-or-create helpers that set up a GitHub world (the sandbox) for tests and benchmarks.

Why here and not on ``GitHubClient``: no kind creates a branch, a pull request or a
release this way — the kinds look, create once, and leave an ambiguous answer to the
engine's re-check — so these were product code used only by tests. They are thin
pairs of the client's own lookup and create, passed to ``GitHubClient.get_or_create``
(look first; on an ambiguous failure or a 422, look again instead of guessing), so the
rerun-safety they show is still the client's.
"""

from __future__ import annotations

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
