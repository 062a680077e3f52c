"""Status cost as a playbook touches more repositories: 1, 3 and 10 at 100 ms a request.

A playbook is generated with one stage per repository (a library's release: write
access, a release branch, its pull request, the tag, the GitHub release, the release's
tracking label), each repository created through the sandbox's API (`POST
/orgs/ipfs/repos` with `auto_init`). For each size, side by side on one sandbox: `cockpit
status` checking each action alone (`--one-at-a-time`), the default (shared reads, cold
on-disk ETag cache) and the default again (warm cache). Reports wall time, checks, the
requests the sandbox saw and the GitHub rate-limit points used.

    python bench/status_repos.py [--markdown] [--latency-ms 100] [--repos 1 3 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _sandbox_process
from _common import machine_markdown
from status_probe import probe

STAGE = '''
[[stages]]
id = "lib-{n}"
title = "Release lib-{n}"
summary = "Branch, pull request, tag and GitHub release of ipfs/lib-{n}."

[[stages.actions]]
id = "access"
kind = "preflight.repo-access"
title = "Write access to ipfs/lib-{n}"
[stages.actions.params]
repo = "ipfs/lib-{n}"
permission = "push"
branches = ["main"]

[[stages.actions]]
id = "branch"
kind = "git.branch"
title = "Create release-X.Y.Z from main"
[stages.actions.params]
repo = "ipfs/lib-{n}"
branch = "release-{{version.number}}"
base = "main"

[[stages.actions]]
id = "pull"
kind = "github.pull"
title = "Open the release pull request"
[stages.actions.params]
repo = "ipfs/lib-{n}"
head = "release-{{version.number}}"
base = "main"
title = "Release {{version.number}}"
include_merged = true
body = "Release {{version.number}}."

[[stages.actions]]
id = "tag"
kind = "git.tag"
title = "Tag X.Y.Z on main"
[stages.actions.params]
repo = "ipfs/lib-{n}"
tag = "{{version.tag}}"
ref = "main"
message = "Release {{version.number}}"

[[stages.actions]]
id = "release"
kind = "github.release"
title = "Create the GitHub release as a draft"
[stages.actions.params]
repo = "ipfs/lib-{n}"
tag = "{{version.tag}}"
name = "{{version.number}}"
prerelease = false
draft = true
make_latest = "true"
body = "Release {{version.number}}."
'''

HEAD = '''name = "libs-{count}"
title = "{count} libraries"
description = "A release touching {count} repositories (bench/status_repos.py)."

[versions]
scheme = "semver"
tag = "v{{version}}"
'''


def playbook_text(count: int) -> str:
    return HEAD.format(count=count) + "".join(STAGE.format(n=n) for n in range(count))


def create_repos(api_url: str, token: str, count: int) -> None:
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {token}"}) as gh:
        for n in range(count):
            answer = gh.post("orgs/ipfs/repos", json={"name": f"lib-{n}", "auto_init": True})
            if answer.status_code not in (201, 422):  # 422: made by a smaller size already
                raise SystemExit(f"creating ipfs/lib-{n}: {answer.status_code} {answer.text}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--repos", type=int, nargs="+", default=[1, 3, 10])
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as home:
        os.environ["COCKPIT_STATE_DIR"] = str(Path(home) / "state")
        handle = _sandbox_process.start(Path(home) / "sandbox", latency_ms=args.latency_ms)
        os.environ.update(handle.env)
        workspace = ""
        try:
            create_repos(handle.api_url, handle.admin_token, max(args.repos))
            for count in args.repos:
                path = Path(home) / f"libs-{count}.toml"
                path.write_text(playbook_text(count))
                for label, cache, one in (("one check at a time", "cold", True),
                                          ("read ahead, shared reads", "cold", False),
                                          ("read ahead again", "warm", False)):
                    if cache == "cold":  # a new workspace: nothing on disk yet
                        workspace = tempfile.mkdtemp(dir=home)
                    os.environ["COCKPIT_WORKSPACE_DIR"] = workspace
                    before = handle.requests()
                    seconds, checks, points = asyncio.run(
                        probe("v1.0.0", one_at_a_time=one, playbook_path=path))
                    sent = handle.requests() - before
                    results.append((count, label, cache, seconds, checks, sent, points))
        finally:
            handle.stop()
    lines = ["### status_repos", "",
             f"A generated playbook of one stage per repository (5 actions each), release "
             f"v1.0.0 not started, {args.latency_ms} ms added per request.", "",
             "| repositories | checks run | cache | wall s | checks | sandbox requests "
             "| GitHub points |", "| ---: | --- | --- | ---: | ---: | ---: | ---: |"]
    for count, label, cache, seconds, checks, sent, points in results:
        lines.append(f"| {count} | {label} | {cache} | {seconds:.2f} | {checks} | {sent} "
                     f"| {points} |")
    text = "\n".join(lines)
    print(machine_markdown() + "\n" + text if args.markdown else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
