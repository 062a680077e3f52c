"""The index of the built-in action kinds: which module implements each, and its test.

Start here to find a kind. A kind's prefix does not always name its module
(``registry.*``, ``dist.*`` and ``npm.*`` live in ``packages``; ``http.check`` in
``http_check``, ``command.run`` in ``command``; ``discourse.*``,
``matrix.*``, ``reddit.*`` and ``web.*`` in ``announce``; ``staging.outcome`` in
``changelog``; ``preflight.ci-health`` in ``ci_health``; ``git.*`` is split between
``git``, which writes, and ``gitchecks``, which verifies), so this table is the one
place that says where each lives. ``cockpit explain STAGE/ACTION`` prints the same for
one action of the playbook: the file and line of its kind's class, and its test file.
Tests are named after the module they test: the kinds of ``cockpit/actions/<module>.py``
are tested in ``tests/kinds/test_<module>.py``, through the harness in
``tests/kinds/harness.py`` that runs the built-in playbook's own actions.

The table also lets the cockpit import a kind only when it is used. Importing every kind
module costs about 0.2 s (they pull in httpx, GitPython and ~90 pydantic models). The
TUI's first paint needs none of that: it only needs to know a kind's name exists and is
implemented. ``tests/test_kind_catalog.py`` checks that this table says exactly what the
modules register, and that every module's test file exists.
"""

from __future__ import annotations

BUILT_IN: dict[str, str] = {
    "blog.release-entry": "blog",
    "command.run": "command",
    "crates.release": "crates",
    "http.check": "http_check",
    "pypi.release": "pypi",
    **dict.fromkeys(("changelog.check", "changelog.fill", "changelog.index-link",
                     "changelog.next", "staging.outcome"), "changelog"),
    **dict.fromkeys(("discourse.category-writable", "discourse.pin", "discourse.topic",
                     "discourse.unpin", "matrix.message-seen", "matrix.room-joined",
                     "reddit.post", "web.page-contains"), "announce"),
    **dict.fromkeys(("dist.add-version", "dist.version-listed", "npm.dependency-bump",
                     "registry.docker-platforms", "registry.docker-tag",
                     "registry.npm-dist-tag", "registry.npm-version"), "packages"),
    **dict.fromkeys(("git.branch", "git.edit", "git.tag"), "git"),
    **dict.fromkeys(("git.file-contains", "git.is-ancestor", "git.merge", "git.tag-verify"),
                    "gitchecks"),
    **dict.fromkeys(("github.issue", "github.issue-checklist", "github.issue-close",
                     "github.issue-comment", "github.milestone-close",
                     "github.milestone-empty", "github.next-milestone",
                     "github.next-tracking-issue", "github.tracking-issue"), "github_issues"),
    **dict.fromkeys(("github.job-log-contains", "github.workflow-dispatch",
                     "github.workflow-run-wait"), "workflows"),
    **dict.fromkeys(("github.pr-checks-wait", "github.pr-review-wait", "github.pull",
                     "github.pull-body-compare", "github.pull-merge", "github.pull-ready"),
                    "github_pulls"),
    **dict.fromkeys(("github.release", "github.release-assets", "github.release-body-append",
                     "github.release-body-contains", "github.release-latest",
                     "github.release-publish", "github.tag-exists"), "github_releases"),
    "manual": "manual",
    "preflight.ci-health": "ci_health",
    **dict.fromkeys(("preflight.git-identity", "preflight.go-version", "preflight.repo-access",
                     "preflight.signing-key", "preflight.token", "preflight.tool",
                     "preflight.version-newer", "preflight.version-valid",
                     "preflight.workflow"), "preflight"),
}
"""Kind name → the module under ``cockpit.actions`` that registers its implementation."""


def module_of(kind: str) -> str | None:
    """The full module name implementing a built-in kind, or None for any other name."""
    short = BUILT_IN.get(kind)
    return f"cockpit.actions.{short}" if short else None


def kind_test_file(kind: str) -> str | None:
    """The test file of a built-in kind's module, relative to the repository root."""
    short = BUILT_IN.get(kind)
    return f"tests/kinds/test_{short}.py" if short else None
