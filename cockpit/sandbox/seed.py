"""The seeded world: Kubo's repositories just after the v0.29.0 release.

Building it runs a few hundred git commands, so it is built once per process
into a cache directory and each sandbox gets a ``shutil.copytree`` of it (a few
milliseconds). The content mirrors the real repositories closely enough for
the playbook: the version file, the changelog layout with its placeholder
sections, the distribution version lists, package.json files and workflows.
"""

from __future__ import annotations

import atexit
import json
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

from cockpit.sandbox import branch_rules, matrix
from cockpit.sandbox.gitstore import BareRepo, init_bare
from cockpit.sandbox.world import REPOS_DIR, Json, World, empty_world, repo_record

KUBO = "ipfs/kubo"
DISTRIBUTIONS = "ipfs/distributions"
NPM_GO_IPFS = "ipfs/npm-go-ipfs"
DESKTOP = "ipfs/ipfs-desktop"
DOCS = "ipfs/ipfs-docs"
BLOG = "ipfs/ipfs-blog"
COMPANION = "ipfs/ipfs-companion"
INFRA_REPO = "ipfs/infra"
"""Where the staging stage files its issue for the infrastructure team."""
BOXO = "ipfs/boxo"
"""A Go module Kubo depends on (``github.com/ipfs/boxo``): the changelog's commit list walks
it between the versions Kubo's go.mod names before and after the release."""
GO_VERSION = "1.22"
"""The Go of Kubo's go.mod; the distributions' and docs' builds use the same minor."""

PREVIOUS = "0.29.0"
NEXT_DEV = "0.30.0-dev"
ADMIN_LOGIN = "release-driver"
READONLY_LOGIN = "shadow-watcher"
REVIEWER_LOGIN = "release-reviewer"
"""The second maintainer: reviews points of no return (``cockpit review``) with a token of
its own, which may write to the release repositories only."""
DESKTOP_MAINTAINER = "desktop-maintainer"
CHATTER_ROOM = "!ipfs-chatter:sandbox.local"
CHATTER_ALIAS = "#ipfs-chatter:ipfs.io"

DISCOURSE_CATEGORIES = [
    {"id": 1, "name": "Uncategorized", "slug": "uncategorized"},
    {"id": 13, "name": "News", "slug": "news", "staff_only": True,
     "description": "Announcements: releases, events. Staff post here."},
    {"id": 14, "name": "Help", "slug": "help"},
]
"""The forum's categories: only staff may start topics in News, as on discuss.ipfs.tech."""
DISCOURSE_USERS = {
    "system": {"id": -1, "admin": True, "moderator": False, "trust_level": 4},
    "releasebot": {"id": 2, "admin": False, "moderator": True, "trust_level": 4},
    "newcomer": {"id": 3, "admin": False, "moderator": False, "trust_level": 1},
}
"""Who the API key may act as (``Api-Username``): staff may pin (``system`` is Discourse's
own admin), a regular user may not."""

ALICE = ("Alice Maintainer", "alice@example.org")
BOB = ("Bob Contributor", "bob@example.org")
CAROL = ("Carol Reviewer", "carol@example.org")

REPOS: dict[str, tuple[str, str]] = {
    KUBO: ("master", "An IPFS implementation in Go"),
    DISTRIBUTIONS: ("master", "Legacy install pages and dist.ipfs.tech"),
    NPM_GO_IPFS: ("master", "Install Kubo (go-ipfs) from npm"),
    DESKTOP: ("main", "An unobtrusive and user-friendly desktop application for IPFS"),
    DOCS: ("main", "IPFS documentation"),
    BLOG: ("main", "The IPFS blog"),
    COMPANION: ("main", "Browser extension that simplifies access to IPFS resources"),
    INFRA_REPO: ("main", "Infrastructure requests and staging"),
}

ORGS = {"ipfs": "An open system to manage data without a central server"}
"""The organizations that own the seeded repositories (GitHub types them Organization)."""
ORG_MEMBERS = [ADMIN_LOGIN, REVIEWER_LOGIN, DESKTOP_MAINTAINER]
"""Who belongs to them: the release driver and the second maintainer (``GET /user/orgs``)."""


def go_mod(boxo: str) -> bytes:
    """Kubo's go.mod: its Go version and the dependency the changelog walks."""
    return (f"module github.com/ipfs/kubo\n\ngo {GO_VERSION}\n\n"
            f"require github.com/ipfs/boxo {boxo}\n").encode()


BOXO_BEFORE, BOXO_AFTER = "v0.20.0", "v0.21.0"
"""The boxo of Kubo v0.29.0, and the one master (so v0.30.0) moved to."""
BOXO_PINNER = "pinner: stream recursive pins instead of loading them all"


def _boxo(repo: BareRepo) -> None:
    """ipfs/boxo's history around the two versions Kubo uses: tags on main."""
    history = [
        ("README.md", b"# boxo\n\nA library for building IPFS applications.\n",
         "initial", "2024-04-01T10:00:00Z", None),
        ("pinning/pinner/dspinner/pin.go", b"package dspinner\n",
         "chore: release v0.20.0", "2024-05-01T10:00:00Z", BOXO_BEFORE),
        ("pinning/pinner/dspinner/pin.go", b"package dspinner\n// stream recursive pins\n",
         BOXO_PINNER, "2024-06-03T10:00:00Z", None),
        ("bitswap/client.go", b"package bitswap\n// fewer wantlist rebroadcasts\n",
         "bitswap: rebroadcast the wantlist less often", "2024-06-05T10:00:00Z", None),
        ("version.json", b'{"version": "v0.21.0"}\n', "chore: release v0.21.0",
         "2024-06-07T10:00:00Z", BOXO_AFTER),
    ]
    for path, text, message, date, tag in history:
        sha = repo.commit_files("main", {path: text}, message, CAROL, CAROL, date)
        if tag is not None:
            repo.update_ref(f"refs/tags/{tag}",
                            repo.make_tag(tag, sha, f"{tag}\n", CAROL, date))


DEPENDENCIES: dict[str, tuple[str, str]] = {
    BOXO: ("main", "A set of reusable libraries for building IPFS applications"),
}
"""Go modules of Kubo's, in the world beside the release's repositories (not one of them:
no access is checked, no token is scoped to them; they are only read)."""


def version_go(version: str) -> bytes:
    return (
        "package ipfs\n\n"
        'import "runtime"\n\n'
        "// CurrentCommit is the current git commit, this is set as a ldflag in the Makefile.\n"
        "var CurrentCommit string\n\n"
        "// CurrentVersionNumber is the current application's version literal.\n"
        f'const CurrentVersionNumber = "{version}"\n\n'
        'const ApiVersion = "/kubo/" + CurrentVersionNumber + "/" //nolint\n\n'
        "// GetUserAgentVersion is the libp2p user agent used by go-ipfs.\n"
        "func GetUserAgentVersion() string {\n"
        '\treturn "kubo/" + CurrentVersionNumber + "/" + CurrentCommit + "/" + runtime.Version()\n'
        "}\n"
    ).encode()


def changelog(minor: str, filled: bool, highlights: str = "") -> bytes:
    """``docs/changelogs/vX.Y.md`` in Kubo's layout; unfilled ones keep the placeholders.

    ``highlights`` is what feature pull requests write under Highlights while the
    release is developed (a filled changelog has its own)."""
    anchor = f"v{minor}.0".replace(".", "")
    changes = (
        "<details><summary>Full Changelog</summary>\n\n"
        f"- github.com/ipfs/kubo:\n  - chore: set version to {minor}.0\n"
        "  - feat: add `ipfs routing provide --recursive`\n\n</details>\n"
        if filled else ""
    )
    people = (
        "| Contributor | Commits | Lines ± | Files Changed |\n"
        "|-------------|---------|---------|---------------|\n"
        "| Alice Maintainer | 12 | +812/-301 | 44 |\n"
        "| Bob Contributor | 3 | +90/-12 | 5 |\n"
        if filled else ""
    )
    return (
        f"# Kubo changelog v{minor}\n\n"
        f"- [v{minor}.0](#{anchor})\n\n"
        f"## v{minor}.0\n\n"
        "- [Overview](#overview)\n"
        "- [🔦 Highlights](#-highlights)\n"
        "- [📝 Changelog](#-changelog)\n"
        "- [👨‍👩‍👧‍👦 Contributors](#-contributors)\n\n"
        "### Overview\n\n"
        "### 🔦 Highlights\n\n"
        + ("#### Faster providing\n\nProviding large DAGs is now ~2x faster.\n\n" if filled
           else highlights)
        + "### 📝 Changelog\n\n" + changes + "\n"
        "### 👨‍👩‍👧‍👦 Contributors\n\n" + people
    ).encode()


V030_HIGHLIGHT = ("#### Higher default connection limits\n\n"
                  "The resource manager allows more connections by default.\n\n")


def changelog_index(minors: list[str]) -> bytes:
    lines = ["# Kubo Changelogs", ""]
    lines += [f"- [v{m}](docs/changelogs/v{m}.md)" for m in sorted(minors, reverse=True)]
    lines += ["- [v0.28](docs/changelogs/v0.28.md)", ""]
    return "\n".join(lines).encode()


# Kubo's own template links its checklist on github.com and its process notes on
# notion.site: this one names them without a link, so a tracking issue opened in the
# sandbox (the demo's) links nothing outside it.
RELEASE_ISSUE_TEMPLATE = b"""<!-- Last updated by @release-driver -->

# Items to do upon creating the release issue

- [ ] Fill in the Meta section
- [ ] Assign the issue to the release owner and reviewer
- [ ] Name the issue "Release vX.Y.Z"
- [ ] Set the proper values for X, Y, and Z

# Meta

* Release owner: @who
* Release reviewer: @who
* Expected RC date: by kick-off
* Expected final release date: a week after the RC
* Release checklist: docs/RELEASE_CHECKLIST.md in this repository

See the Kubo release process in the maintainers' notes for more.

# Items In Scope

_Items which must be complete for this release_

- [ ] item

# Items Not In Scope

_Items which were explicitly deferred_

- [ ] item

# Checklist

- [ ] Stage 0 - Prerequisites
- [ ] Stage 1 - Release candidate
- [ ] Stage 2 - Final release
"""

EARLY_TESTERS = b"""# Early Testers Program

## Who

Projects that run Kubo in production and test release candidates for us:

- [ ] Pinata (@pinata-tester)
- [ ] Protocol Labs infra (@pl-infra-tester)
- [ ] IPFS Desktop (@desktop-maintainer)
- [ ] Fleek (@fleek-tester)

## How to sign up

Open a PR adding your project to this list.
"""

# "Go Test" runs on self-hosted runners with a 20-minute timeout, like the team's test
# workflow that crept up to its timeout: CI monitoring (the sandbox's webhooks) then has
# hosted and self-hosted jobs, and a timeout to measure against.
KUBO_WORKFLOWS = {
    ".github/workflows/docker.yml": """name: Publish docker image

on:
  workflow_dispatch:
  push:
    tags:
      - 'v*'

jobs:
  docker-hub:
    name: Push Docker image to Docker Hub
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./bin/push-docker-tags.sh
""",
    ".github/workflows/sync-release-assets.yml": """\
name: Sync github release assets with dist.ipfs.tech

on:
  workflow_dispatch:
  schedule:
    - cron: '0 0 * * *'

jobs:
  sync-github-and-dist-ipfs-tech:
    runs-on: ubuntu-latest
    steps:
      - run: ./sync-release-assets.sh
""",
    ".github/workflows/gotest.yml": """name: Go Test

on:
  workflow_dispatch:
  pull_request:
  push:
    branches:
      - master

jobs:
  go-test:
    runs-on: [self-hosted, linux, x64]
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - run: make test_go_test
""",
}


def _kubo(repo: BareRepo) -> dict[str, str]:
    """History: v0.29 development, the release branch and tags, then v0.30 work on master."""
    base_files: dict[str, bytes | None] = {
        "README.md": b"# Kubo\n\nAn IPFS implementation in Go.\n",
        "go.mod": go_mod(BOXO_BEFORE),
        "version.go": version_go("0.29.0-dev"),
        "cmd/ipfs/main.go": b'package main\n\nfunc main() { println("ipfs") }\n',
        "CHANGELOG.md": changelog_index(["0.29"]),
        "docs/changelogs/v0.28.md": changelog("0.28", True),
        "docs/changelogs/v0.29.md": changelog("0.29", False),
        "docs/EARLY_TESTERS.md": EARLY_TESTERS,
        "docs/RELEASE_CHECKLIST.md": b"# Release checklist\n\nDriven by the cockpit.\n",
        ".github/ISSUE_TEMPLATE/RELEASE_ISSUE_TEMPLATE.md": RELEASE_ISSUE_TEMPLATE,
        **{k: v.encode() for k, v in KUBO_WORKFLOWS.items()},
    }
    repo.commit_files("master", base_files, "chore: start v0.29 development", ALICE,
                      ALICE, "2024-05-02T10:00:00Z")
    repo.commit_files("master", {"core/node/provide.go": b"package node\n// provide\n"},
                      "feat: add `ipfs routing provide --recursive`", BOB, BOB,
                      "2024-05-10T10:00:00Z")
    repo.commit_files("master", {"docs/changelogs/v0.29.md": changelog("0.29", True)},
                      "docs: v0.29 changelog highlights", ALICE, ALICE, "2024-05-20T10:00:00Z")
    fork = repo.resolve("master")
    assert fork
    repo.update_ref("refs/heads/release", fork)
    rc1 = repo.commit_files("release", {"version.go": version_go("0.29.0-rc1")},
                            "chore: set version to 0.29.0-rc1", ALICE, ALICE,
                            "2024-05-27T10:00:00Z")
    tag = repo.make_tag("v0.29.0-rc1", rc1, "Prerelease 0.29.0-rc1\n", ALICE,
                        "2024-05-27T10:05:00Z")
    repo.update_ref("refs/tags/v0.29.0-rc1", tag)
    final = repo.commit_files("release", {"version.go": version_go(PREVIOUS)},
                              "chore: set version to 0.29.0", ALICE, ALICE,
                              "2024-06-10T10:00:00Z")
    tag = repo.make_tag("v0.29.0", final, "Release 0.29.0\n", ALICE, "2024-06-10T10:05:00Z")
    repo.update_ref("refs/tags/v0.29.0", tag)
    repo.commit_files("master", {
        "version.go": version_go(NEXT_DEV),
        "docs/changelogs/v0.30.md": changelog("0.30", False),
        "CHANGELOG.md": changelog_index(["0.29", "0.30"]),
    }, "chore: update version to 0.30.0-dev", ALICE, ALICE, "2024-05-28T10:00:00Z")
    # Stage 14 of the previous release: merge `release` back, keeping master's version.
    master = repo.resolve("master")
    assert master
    master_tree = repo.git("rev-parse", f"{master}^{{tree}}").strip()
    merged = repo.commit_tree(master_tree, [master, final],
                              "Merge pull request #2 from ipfs/merge-release-v0.29.0\n\n"
                              "Merge release v0.29.0\n", ALICE, ALICE, "2024-06-11T10:00:00Z")
    repo.update_ref("refs/heads/master", merged, master)
    # The fix is boxo's faster pinner: the commit moves go.mod to the boxo that has it.
    repo.commit_files("master", {"core/commands/pin.go": b"package commands\n// pin ls\n",
                                 "go.mod": go_mod(BOXO_AFTER)},
                      "fix(pin): faster `ipfs pin ls --type=recursive`", BOB, BOB,
                      "2024-06-14T10:00:00Z")
    # Like Kubo's feature pull requests, this one adds its highlight to the changelog.
    repo.commit_files("master", {
        "core/node/libp2p/rcmgr.go": b"package libp2p\n// rcmgr\n",
        "docs/changelogs/v0.30.md": changelog("0.30", False, V030_HIGHLIGHT),
    }, "feat(rcmgr): raise default connection limits", CAROL, CAROL, "2024-06-20T10:00:00Z")
    repo.commit_files("master", {"docs/config.md": b"# Config\n\n`Routing.Type`\n"},
                      "docs: explain Routing.Type=auto", CAROL, CAROL, "2024-06-25T10:00:00Z")
    return {"rc1": rc1, "final": final}


DIST_VERSIONS = ["v0.27.0", "v0.28.0", "v0.29.0-rc1", "v0.29.0"]


def _dist_files() -> dict[str, bytes | None]:
    listing = ("\n".join(DIST_VERSIONS) + "\n").encode()
    return {
        "README.md": b"# ipfs/distributions\n\nSource of https://dist.ipfs.tech\n",
        "Makefile": b"all:\n\t./dist.sh\n",
        "dists/kubo/versions": listing,
        "dists/go-ipfs/versions": listing,
        "dists/kubo/current": f"v{PREVIOUS}\n".encode(),
        "dists/go-ipfs/current": f"v{PREVIOUS}\n".encode(),
        "dists/fs-repo-migrations/versions": b"v2.0.2\n",
        "dists/fs-repo-migrations/current": b"v2.0.2\n",
        ".tool-versions": f"golang {GO_VERSION}.4\nnodejs 20.14.0\n".encode(),
        ".github/workflows/main.yml": b"""name: CI

on:
  pull_request:
  push:
    branches:
      - master

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version: "%s.x"
      - run: make publish
""" % GO_VERSION.encode(),
    }


def _package_json(name: str, version: str, deps: dict[str, str]) -> bytes:
    return (json.dumps({"name": name, "version": version, "dependencies": deps},
                       indent=2) + "\n").encode()


def _desktop_lock() -> bytes:
    lock = {
        "name": "ipfs-desktop", "version": "0.38.0", "lockfileVersion": 3, "requires": True,
        "packages": {
            "": {"name": "ipfs-desktop", "version": "0.38.0",
                 "dependencies": {"kubo": PREVIOUS}},
            "node_modules/kubo": {
                "version": PREVIOUS,
                "resolved": f"https://registry.npmjs.org/kubo/-/kubo-{PREVIOUS}.tgz",
                "hasInstallScript": True,
            },
        },
    }
    return (json.dumps(lock, indent=2) + "\n").encode()


BLOG_RELEASES = b"""---
title: Release notes
type: Release notes
sitemap:
  exclude: true
data:
  - title: 'Just released: Kubo 0.29.0!'
    date: 2024-06-10
    publish_date:
    path: https://github.com/ipfs/kubo/releases/tag/v0.29.0
    tags:
      - go-ipfs
      - kubo
  - title: 'Just released: Kubo 0.28.0!'
    date: 2024-04-15
    publish_date:
    path: https://github.com/ipfs/kubo/releases/tag/v0.28.0
    tags:
      - go-ipfs
      - kubo
---
"""


def _pull_request_ci(name: str, command: str) -> bytes:
    """A workflow that checks every pull request, as each downstream repository has:
    without one, a fresh pull request's "no checks yet" is indistinguishable from "CI has
    not started" for the cockpit's grace period."""
    return f"""name: {name}

on:
  pull_request:

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: {command}
""".encode()


def _others(repos: dict[str, BareRepo]) -> None:
    date = "2024-06-01T10:00:00Z"
    repos[DISTRIBUTIONS].commit_files("master", _dist_files(), "kubo v0.29.0", ALICE, ALICE,
                                      date)
    repos[NPM_GO_IPFS].commit_files("master", {
        "package.json": _package_json("kubo", PREVIOUS, {"go-platform": "^1.0.0"}),
        "README.md": b"# npm-go-ipfs\n\nInstall Kubo from npm.\n",
        ".github/workflows/main.yml": b"""name: Release to npm

on:
  workflow_dispatch:
  schedule:
    - cron: '0 */6 * * *'

jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm run release
""",
    }, "chore: release 0.29.0", ALICE, ALICE, date)
    repos[DESKTOP].commit_files("main", {
        "package.json": _package_json("ipfs-desktop", "0.38.0", {"kubo": PREVIOUS}),
        "package-lock.json": _desktop_lock(),
        "README.md": b"# IPFS Desktop\n",
        ".github/workflows/ci.yml": _pull_request_ci("CI", "npm ci && npm test"),
    }, "chore: bump kubo to 0.29.0", ALICE, ALICE, date)
    repos[DOCS].commit_files("main", {
        "docs/install/command-line.md": b"# Install Kubo\n\nCurrent version: v0.29.0\n",
        "docs/.vuepress/config.js": b"module.exports = { kuboVersion: 'v0.29.0' }\n",
        ".github/workflows/build.yml": _pull_request_ci("Build", "npm ci && npm run build"),
        ".github/workflows/update-on-new-ipfs-tag.yml": b"""name: Update on new Kubo tag

on:
  workflow_dispatch:
    inputs:
      version:
        description: 'Kubo version (vX.Y.Z); latest release if empty'
        required: false

jobs:
  update:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version: "%s.x"
      - run: ./scripts/update-kubo-version.sh
""" % GO_VERSION.encode(),
    }, "docs: kubo v0.29.0", ALICE, ALICE, date)
    repos[BLOG].commit_files("main", {
        "src/_blog/releasenotes.md": BLOG_RELEASES,
        ".github/workflows/build.yml": _pull_request_ci("Build", "npm ci && npm run build"),
        ".github/workflows/deploy.yml": b"""name: Deploy

on:
  push:
    branches:
      - main

jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: npm run build && npm run deploy
""",
    }, "Release notes: Kubo 0.29.0", ALICE, ALICE, date)
    repos[COMPANION].commit_files("main", {
        "package.json": _package_json("ipfs-companion", "3.1.0", {}),
        ".github/workflows/e2e.yml": b"""name: e2e

on:
  workflow_dispatch:
    inputs:
      kubo-version:
        description: 'Kubo version to test against'
        required: true
        default: 'latest'

jobs:
  e2e:
    runs-on: ubuntu-latest
    steps:
      - run: npm run test:e2e
""",
    }, "chore: e2e against kubo", ALICE, ALICE, date)
    repos[INFRA_REPO].commit_files("main", {"README.md": b"# infra\n\nFile requests here.\n"},
                                   "initial", ALICE, ALICE, date)


def _world(data: Json, repos: dict[str, BareRepo], kubo: dict[str, str]) -> None:
    w = World(Path("."), data)
    data["tokens"] = {
        "ghp_sandboxadmin" + secrets.token_hex(12): {"login": ADMIN_LOGIN, "scope": "write"},
        "ghp_sandboxread" + secrets.token_hex(12): {"login": READONLY_LOGIN, "scope": "read"},
        "ghp_sandboxreview" + secrets.token_hex(12): {
            "login": REVIEWER_LOGIN, "scope": "write",
            "repos": sorted(full for full in REPOS if full != INFRA_REPO)},
    }
    for login in (ADMIN_LOGIN, READONLY_LOGIN, REVIEWER_LOGIN, DESKTOP_MAINTAINER, "alice", "bob",
                  "github-actions[bot]"):
        w.user(login)
    for i, (full, (branch, desc)) in enumerate(sorted(REPOS.items())):
        data["repos"][full] = repo_record(10_000_000 + i, full, desc, branch,
                                          "2014-03-01T10:00:00Z")
        data["repos"][full]["protection"] = branch_rules.seeded(full)
    for i, (full, (branch, desc)) in enumerate(sorted(DEPENDENCIES.items())):
        data["repos"][full] = repo_record(10_000_100 + i, full, desc, branch,
                                          "2020-06-01T10:00:00Z")
        data["repos"][full]["protection"] = branch_rules.seeded(full)
    k = data["repos"][KUBO]
    old_issue = {
        "number": k["next_number"], "id": w.new_id(), "title": f"Release v{PREVIOUS}",
        "body": RELEASE_ISSUE_TEMPLATE.decode().replace("vX.Y.Z", f"v{PREVIOUS}"),
        "state": "closed", "state_reason": "completed", "user": ADMIN_LOGIN,
        "labels": ["kind/release"], "assignees": [ADMIN_LOGIN], "milestone": None,
        "locked": False, "created_at": "2024-05-20T10:00:00Z",
        "updated_at": "2024-06-12T10:00:00Z", "closed_at": "2024-06-12T10:00:00Z",
        "pull": None,
    }
    k["next_number"] += 1
    ms_number = 1
    k["milestones"].append({
        "number": ms_number, "id": w.new_id(), "title": "v0.30.0", "state": "open",
        "description": "Kubo v0.30.0", "creator": ADMIN_LOGIN, "due_on": None,
        "created_at": "2024-06-10T10:00:00Z", "updated_at": "2024-06-10T10:00:00Z",
        "closed_at": None,
    })
    done_issue = dict(old_issue, number=k["next_number"], id=w.new_id(),
                      title="rcmgr: connection limits too low", body="Raise them.",
                      labels=["kind/bug"], milestone=ms_number, user="bob",
                      assignees=[], closed_at="2024-06-20T10:00:00Z")
    k["next_number"] += 1
    k["issues"] += [old_issue, done_issue]
    k["comments"].append({
        "id": w.new_id(), "issue_number": old_issue["number"], "user": ADMIN_LOGIN,
        "body": f"Kubo v{PREVIOUS} is out!", "created_at": "2024-06-10T12:00:00Z",
        "updated_at": "2024-06-10T12:00:00Z",
    })
    assets = [f"kubo_v{PREVIOUS}_{p}" for p in
              ("darwin-arm64.tar.gz", "linux-amd64.tar.gz", "windows-amd64.zip")]
    k["releases"].append({
        "id": w.new_id(), "tag_name": f"v{PREVIOUS}", "target_commitish": "release",
        "name": f"v{PREVIOUS}", "body": changelog("0.29", True).decode().split("\n", 2)[2],
        "draft": False, "prerelease": False, "make_latest": "true", "author": ADMIN_LOGIN,
        "created_at": "2024-06-10T11:00:00Z", "published_at": "2024-06-10T11:00:00Z",
        "updated_at": "2024-06-10T11:00:00Z",
        "assets": [{"id": w.new_id(), "name": a, "size": 30_000_000 + j,
                    "created_at": "2024-06-10T13:00:00Z"} for j, a in enumerate(assets)],
    })
    data["docker"] = {"ipfs/kubo": {t: "2024-06-10T11:00:00Z" for t in
                                    ("v0.28.0", "v0.29.0-rc1", "v0.29.0", "latest", "release")}}
    npm_versions = {v.lstrip("v"): "2024-06-10T12:00:00Z" for v in DIST_VERSIONS}
    for pkg in ("kubo", "go-ipfs"):
        data["npm"][pkg] = {"versions": dict(npm_versions), "dist-tags": {"latest": PREVIOUS}}
    data["dist"] = {"kubo": list(DIST_VERSIONS), "go-ipfs": list(DIST_VERSIONS)}
    data["matrix"]["rooms"][CHATTER_ROOM] = matrix.new_room(CHATTER_ALIAS)
    data["discourse"]["categories"] = DISCOURSE_CATEGORIES
    data["discourse"]["users"] = DISCOURSE_USERS
    for full, r in data["repos"].items():
        r["collaborators"] = {ADMIN_LOGIN: "admin"}
        if full != INFRA_REPO:
            r["collaborators"][REVIEWER_LOGIN] = "maintain"
        if full == DESKTOP:
            r["collaborators"][DESKTOP_MAINTAINER] = "write"
    # Last, so the ids above stay what they were before these existed.
    for owner in sorted({full.split("/")[0] for full in REPOS}):
        w.organization(owner, ORGS.get(owner, ""), ORG_MEMBERS)
    k["events"] = [{"id": w.new_id(), "issue_number": i["number"], "event": "closed",
                    "actor": ADMIN_LOGIN, "commit_id": None, "created_at": i["closed_at"],
                    "state_reason": "completed"} for i in k["issues"] if i["state"] == "closed"]


def upgrade(world: World) -> None:
    """Bring a data directory written before the seed had organizations up to date: its
    owners were Users made on first sight, and stay the accounts they were (same id)."""
    with world.lock:
        for owner, description in ORGS.items():
            account = world.data["users"].get(owner)
            owns = any(r["owner"] == owner for r in world.data["repos"].values())
            if owns and (account is None or account["type"] != "Organization"):
                world.organization(owner, description, ORG_MEMBERS)


def build_seed(dest: Path) -> None:
    """Create the seeded world (bare repos + world.json) in an empty directory."""
    repos: dict[str, BareRepo] = {}
    for full, (branch, _) in REPOS.items():
        repos[full] = init_bare(dest / REPOS_DIR / f"{full}.git", branch)
    for full, (branch, _) in DEPENDENCIES.items():
        repos[full] = init_bare(dest / REPOS_DIR / f"{full}.git", branch)
    _boxo(repos[BOXO])
    kubo = _kubo(repos[KUBO])
    _others(repos)
    data = empty_world()
    _world(data, repos, kubo)
    world = World(dest, data)
    world.save()


_cache_lock = threading.Lock()
_cache: Path | None = None


def copy_seed(dest: Path) -> None:
    """Copy the process-wide cached seed into ``dest`` (built on first use)."""
    global _cache
    with _cache_lock:
        if _cache is None or not (_cache / "world.json").exists():
            tmp = Path(tempfile.mkdtemp(prefix="cockpit-sandbox-seed-"))
            # One per process, gone with it (every `cockpit demo` used to leave one in /tmp).
            atexit.register(shutil.rmtree, tmp, ignore_errors=True)
            build_seed(tmp)
            _cache = tmp
    shutil.copytree(_cache, dest, dirs_exist_ok=True)
