#!/usr/bin/env python3
"""Cut the part of GitHub's official OpenAPI description that the sandbox serves.

The sandbox claims to speak GitHub's REST API; the only honest way to hold it to
that is to validate its traffic against GitHub's own description. The full
description is ~10 MB and slow to load, so this script keeps just the operations
listed in ``OPERATIONS`` plus every component they reference, and records where
it came from (``x-cockpit-source``) so the spec version is never a guess.

Usage::

    scripts/cut_openapi.py                     # npm pack @octokit/openapi@VERSION
    scripts/cut_openapi.py --spec path/to/api.github.com.json

Re-run it when ``OPERATIONS`` changes or to move to a newer spec version.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/openapi"
VERSION = "23.0.2"
MEMBER = "package/generated/api.github.com.json"
OUT = Path(__file__).resolve().parent.parent / "cockpit" / "sandbox" / "github" / "openapi"

# (method, path template) — exactly what cockpit/sandbox/github/routes.py routes.
OPERATIONS: list[tuple[str, str]] = [
    ("get", "/rate_limit"),
    ("get", "/user"),
    ("get", "/user/gpg_keys"),
    ("post", "/user/gpg_keys"),
    ("get", "/users/{username}/gpg_keys"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/branches"),
    ("get", "/repos/{owner}/{repo}/branches/{branch}"),
    ("get", "/repos/{owner}/{repo}/commits"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/status"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    ("get", "/repos/{owner}/{repo}/compare/{basehead}"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("put", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/tags"),
    ("get", "/repos/{owner}/{repo}/git/ref/{ref}"),
    ("get", "/repos/{owner}/{repo}/git/matching-refs/{ref}"),
    ("post", "/repos/{owner}/{repo}/git/refs"),
    ("patch", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("delete", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("post", "/repos/{owner}/{repo}/git/tags"),
    ("get", "/repos/{owner}/{repo}/git/tags/{tag_sha}"),
    ("get", "/repos/{owner}/{repo}/git/commits/{commit_sha}"),
    ("get", "/repos/{owner}/{repo}/pulls"),
    ("post", "/repos/{owner}/{repo}/pulls"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("patch", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/commits"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
    ("put", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("get", "/repos/{owner}/{repo}/releases"),
    ("post", "/repos/{owner}/{repo}/releases"),
    ("get", "/repos/{owner}/{repo}/releases/latest"),
    ("get", "/repos/{owner}/{repo}/releases/tags/{tag}"),
    ("get", "/repos/{owner}/{repo}/releases/{release_id}"),
    ("patch", "/repos/{owner}/{repo}/releases/{release_id}"),
    ("delete", "/repos/{owner}/{repo}/releases/{release_id}"),
    ("get", "/repos/{owner}/{repo}/releases/{release_id}/assets"),
    ("get", "/repos/{owner}/{repo}/issues"),
    ("post", "/repos/{owner}/{repo}/issues"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("patch", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("patch", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("delete", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    # labels (cockpit/sandbox/github/labels.py)
    ("get", "/repos/{owner}/{repo}/labels"),
    ("post", "/repos/{owner}/{repo}/labels"),
    ("get", "/repos/{owner}/{repo}/labels/{name}"),
    ("patch", "/repos/{owner}/{repo}/labels/{name}"),
    ("delete", "/repos/{owner}/{repo}/labels/{name}"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("put", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"),
    ("get", "/repos/{owner}/{repo}/milestones"),
    ("post", "/repos/{owner}/{repo}/milestones"),
    ("get", "/repos/{owner}/{repo}/milestones/{milestone_number}"),
    ("patch", "/repos/{owner}/{repo}/milestones/{milestone_number}"),
    ("get", "/repos/{owner}/{repo}/actions/workflows"),
    ("get", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}"),
    ("post", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"),
    ("get", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"),
    ("get", "/repos/{owner}/{repo}/actions/runs"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}"),
    ("post", "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"),
    ("get", "/repos/{owner}/{repo}/actions/jobs/{job_id}"),
    ("get", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs"),
    ("get", "/search/issues"),
    # webhooks (cockpit/sandbox/github/hooks.py)
    *[(m, base + path) for base in ("/repos/{owner}/{repo}/hooks", "/orgs/{org}/hooks")
      for m, path in [
          ("get", ""), ("post", ""),
          ("get", "/{hook_id}"), ("patch", "/{hook_id}"), ("delete", "/{hook_id}"),
          ("get", "/{hook_id}/config"), ("patch", "/{hook_id}/config"),
          ("post", "/{hook_id}/pings"),
          ("get", "/{hook_id}/deliveries"),
          ("get", "/{hook_id}/deliveries/{delivery_id}"),
          ("post", "/{hook_id}/deliveries/{delivery_id}/attempts"),
      ]],
    ("get", "/app/hook/config"),
    ("patch", "/app/hook/config"),
    ("get", "/app/hook/deliveries"),
    ("get", "/app/hook/deliveries/{delivery_id}"),
    ("post", "/app/hook/deliveries/{delivery_id}/attempts"),
    # accounts, repository creation and the resources of issue 15 (owners.py,
    # repo_creation.py and the modules named beside each)
    ("get", "/users/{username}"),
    ("get", "/users/{username}/repos"),
    ("get", "/user/orgs"),
    ("get", "/user/repos"),
    ("post", "/user/repos"),
    ("get", "/orgs/{org}"),
    ("get", "/orgs/{org}/repos"),
    ("post", "/orgs/{org}/repos"),
    ("delete", "/repos/{owner}/{repo}"),
    ("post", "/repos/{owner}/{repo}/statuses/{sha}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/statuses"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-suites"),
    ("get", "/repos/{owner}/{repo}/check-suites/{check_suite_id}"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/events"),
    ("get", "/repos/{owner}/{repo}/issues/comments"),
    ("get", "/repos/{owner}/{repo}/issues/{issue_number}/reactions"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/reactions"),
    ("get", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ("post", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"),
    ("put", "/repos/{owner}/{repo}/issues/{issue_number}/lock"),
    ("delete", "/repos/{owner}/{repo}/issues/{issue_number}/lock"),
    ("get", "/repos/{owner}/{repo}/collaborators"),
    ("get", "/repos/{owner}/{repo}/collaborators/{username}"),
    ("get", "/repos/{owner}/{repo}/collaborators/{username}/permission"),
    ("get", "/repos/{owner}/{repo}/topics"),
    ("put", "/repos/{owner}/{repo}/topics"),
    ("post", "/repos/{owner}/{repo}/releases/generate-notes"),
    # the API root, meta, release assets (uploads under /api/uploads), run logs & artifacts
    ("get", "/"),
    ("get", "/meta"),
    ("post", "/repos/{owner}/{repo}/releases/{release_id}/assets"),
    ("get", "/repos/{owner}/{repo}/releases/assets/{asset_id}"),
    ("patch", "/repos/{owner}/{repo}/releases/assets/{asset_id}"),
    ("delete", "/repos/{owner}/{repo}/releases/assets/{asset_id}"),
    ("put", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/disable"),
    ("put", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/logs"),
    ("post", "/repos/{owner}/{repo}/actions/runs/{run_id}/cancel"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts"),
    ("get", "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}"),
    ("get", "/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}"),
    ("get", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"),
]


def npm_json(package: str, version: str, member: str) -> dict[str, Any]:
    """``member`` of the npm package, read from ``npm pack`` in a temp dir: the npm registry
    is the source of truth (``cut_webhook_schemas.py`` reads its schemas this way too)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=tmp,
                       check=True, stdout=subprocess.DEVNULL)
        (tgz,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tgz) as tar:
            found = tar.extractfile(member)
            assert found is not None
            return json.load(found)  # type: ignore[no-any-return]


def fetch_spec(version: str) -> dict[str, Any]:
    return npm_json(PACKAGE, version, MEMBER)


def refs(node: Any, found: set[str]) -> None:
    """Every ``$ref`` under ``node``, added to ``found``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def _strip_examples(node: Any) -> Any:
    """Examples are most of the description's bulk and play no part in validation."""
    if isinstance(node, dict):
        return {
            k: _strip_examples(v)
            for k, v in node.items()
            if k not in ("examples", "example", "x-github", "x-octokit")
        }
    if isinstance(node, list):
        return [_strip_examples(v) for v in node]
    return node


def _errata(node: Any, where: str, notes: list[str]) -> None:
    """Fix what no validator can evaluate, and record each fix in the output.

    GitHub's contents response is ``oneOf`` [directory (a JSON *array*), file, ...]
    with ``discriminator: type`` mapping ``array`` to the directory: a discriminator
    can only read a property of an object, so validators reject every directory
    listing. We drop that discriminator; the ``oneOf`` alone still decides.

    Error responses such as PUT contents' 409 are ``oneOf`` [basic-error,
    repository-rule-violation-error]; neither requires a field nor forbids extra
    ones, so every error body matches both and ``oneOf`` can never pass. For
    ``oneOf`` made only of ``*-error`` schemas we use ``anyOf``.

    ``nullable: true`` with an ``enum`` that lacks null (e.g. a check run's or
    job's ``conclusion``, null until it completes): OpenAPI 3.0.3 says nullable
    does not extend an enum, so GitHub's own null would be rejected; we add null.

    The run listings' ``created`` parameter is typed ``format: date-time``, yet its own
    description (and the API) take GitHub's search syntax (``>=2026-11-30``, ``A..B``):
    the format is dropped, the string type kept.

    A release asset's upload body is described as ``application/octet-stream`` only,
    while the description itself asks for the asset's own media type in ``Content-Type``
    (``application/zip``, say): the body's media type becomes ``*/*``.
    """
    if isinstance(node, dict):
        if where.endswith("/releases/{release_id}/assets/post/requestBody/content") and \
                list(node) == ["application/octet-stream"]:
            node["*/*"] = node.pop("application/octet-stream")
            notes.append(f"{where}: the asset's own media type is accepted (*/*)")
        if where == "#/components/parameters/created/schema" and \
                node.get("format") == "date-time":
            del node["format"]
            notes.append(f"{where}: format date-time dropped (the API takes search syntax)")
        if node.get("nullable") is True and isinstance(node.get("enum"), list) and \
                None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
            notes.append(f"{where}: null added to the enum of a nullable field")
        disc = node.get("discriminator")
        if isinstance(disc, dict) and "array" in (disc.get("mapping") or {}):
            del node["discriminator"]
            notes.append(f"{where}: dropped discriminator mapping 'array' (oneOf kept)")
        branches = node.get("oneOf")
        if isinstance(branches, list) and branches and all(
                str(b.get("$ref", "")).endswith("error") for b in branches):
            node["anyOf"] = node.pop("oneOf")
            notes.append(f"{where}: error oneOf relaxed to anyOf (branches overlap)")
        for key, value in node.items():
            _errata(value, f"{where}/{key}", notes)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _errata(value, f"{where}/{i}", notes)


def cut(spec: dict[str, Any], operations: list[tuple[str, str]]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, template in operations:
        item = spec["paths"][template]
        out = paths.setdefault(template, {})
        if "parameters" in item:
            out["parameters"] = item["parameters"]
        out[method] = item[method]
    paths = _strip_examples(paths)

    components: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    refs(paths, pending)
    done: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = _strip_examples(spec["components"][kind][name])
        components.setdefault(kind, {})[name] = node
        refs(node, pending)
    for kind in components:
        components[kind] = dict(sorted(components[kind].items()))

    notes: list[str] = []
    _errata(paths, "#/paths", notes)
    _errata(components, "#/components", notes)
    return {
        "openapi": spec["openapi"],
        "info": {
            "title": "GitHub REST API subset served by the cockpit sandbox",
            "version": spec["info"]["version"],
        },
        "x-cockpit-source": f"{PACKAGE}@{spec['info']['version']} {MEMBER}",
        "x-cockpit-errata": notes,
        "servers": spec.get("servers", [{"url": "https://api.github.com"}]),
        "paths": dict(sorted(paths.items())),
        "components": dict(sorted(components.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, help="a local api.github.com.json instead of npm")
    parser.add_argument("--version", default=VERSION, help="@octokit/openapi version")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    spec = json.loads(args.spec.read_text()) if args.spec else fetch_spec(args.version)
    subset = cut(spec, OPERATIONS)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "github-subset.json").write_text(json.dumps(subset, indent=1, sort_keys=False))
    (args.out / "README.md").write_text(
        "# GitHub OpenAPI subset\n\n"
        f"`github-subset.json` is cut from `{subset['x-cockpit-source']}` "
        f"(spec version {subset['info']['version']}) by `scripts/cut_openapi.py`: "
        f"{len(OPERATIONS)} operations and the components they reference.\n"
        "Do not edit it by hand; edit `OPERATIONS` in the script and re-run it.\n"
        "Errata applied (see `_errata` in the script): "
        + ("; ".join(subset["x-cockpit-errata"]) or "none") + "\n"
    )
    print(f"wrote {len(OPERATIONS)} operations from spec {subset['info']['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
