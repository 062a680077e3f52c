#!/usr/bin/env python3
"""Cut the webhook payload schemas the sandbox's deliveries are held to.

The sandbox sends GitHub Actions webhooks (``cockpit.sandbox.webhooks``); a CI monitor
tested against them is only as good as their likeness to GitHub's. The community's
machine-readable description of every payload is the npm package
``@octokit/webhooks-schemas`` (one JSON Schema, draft-07, ~600 KB). This script keeps
the definitions of the events the sandbox sends (``ping``, ``workflow_run.*``,
``workflow_job.*``) and everything they ``$ref``, and records where they came from, so
``tests/sandbox/test_webhooks.py`` validates every delivery with ``jsonschema``.

Usage::

    scripts/cut_webhook_schemas.py                  # npm pack @octokit/webhooks-schemas@VERSION
    scripts/cut_webhook_schemas.py --schema path/to/schema.json

Re-run it when ``EVENTS`` changes or to move to a newer version; commit the cut, not
the tarball.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cut_openapi import npm_json, refs  # a sibling script: scripts/ is on sys.path

PACKAGE = "@octokit/webhooks-schemas"
VERSION = "7.6.1"
MEMBER = "package/schema.json"
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "webhooks-schemas"

EVENTS = ["ping", "workflow_run", "workflow_job"]
"""Events the sandbox sends; every action of each is kept (``workflow_job$waiting`` too)."""


def fetch_schema(version: str) -> dict[str, Any]:
    return npm_json(PACKAGE, version, MEMBER)


def cut(schema: dict[str, Any], version: str, events: list[str]) -> dict[str, Any]:
    definitions = schema["definitions"]
    roots = sorted(name for name in definitions
                   if name.split("$")[0] in events and "$" in name)
    pending = {f"#/definitions/{name}" for name in roots}
    kept: dict[str, Any] = {}
    while pending:
        ref = pending.pop()
        name = ref.removeprefix("#/definitions/")
        if name in kept:
            continue
        kept[name] = definitions[name]
        refs(kept[name], pending)
    return {
        "$schema": schema["$schema"],
        "x-cockpit-source": f"{PACKAGE}@{version} {MEMBER}",
        "x-cockpit-events": roots,
        "definitions": dict(sorted(kept.items())),
        "oneOf": [{"$ref": f"#/definitions/{name}"} for name in roots],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", type=Path, help="a local schema.json instead of npm")
    parser.add_argument("--version", default=VERSION, help=f"{PACKAGE} version")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    schema = json.loads(args.schema.read_text()) if args.schema else fetch_schema(args.version)
    subset = cut(schema, args.version, EVENTS)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "schema.json").write_text(json.dumps(subset, indent=1) + "\n")
    (args.out / "README.md").write_text(
        "# Webhook payload schemas (a cut)\n\n"
        f"`schema.json` is cut from `{subset['x-cockpit-source']}` by "
        "`scripts/cut_webhook_schemas.py`: the definitions of "
        f"{', '.join(f'`{e}`' for e in subset['x-cockpit-events'])} and every definition "
        "they reference, unchanged. Do not edit it by hand; edit `EVENTS` in the script "
        "and re-run it.\n\n"
        "`tests/sandbox/test_webhooks.py` validates every delivery the sandbox sends "
        "against `definitions[\"<event>$<action>\"]` (`ping$event` for pings).\n"
        "The package is MIT-licensed (octokit/webhooks).\n")
    print(f"wrote {len(subset['definitions'])} definitions for "
          f"{len(subset['x-cockpit-events'])} event actions from {PACKAGE}@{args.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
