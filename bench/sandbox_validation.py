"""What request validation costs the sandbox per request.

The sandbox validates every API request against GitHub's OpenAPI description
(``cockpit/sandbox/github/validation.py``, jsonschema). This measures, on one in-process
sandbox over real HTTP, typical requests (validation timed
inside the server, beside the whole request's time), plus the description's one-time load.

    python bench/sandbox_validation.py [--requests 200] [--markdown] [--quick]

``--markdown`` prints the section ``run_all.py`` collects (its machine lines come from
``run_all.py``); ``--quick`` sends 50 requests of each kind.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from starlette.requests import Request

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_markdown

from cockpit.sandbox.github import api, validation
from cockpit.sandbox.testing import start_sandbox, stop_sandbox

K = "/repos/ipfs/kubo"
BODY = {"title": "Release v0.30.0", "body": "x" * 2000, "labels": ["kind/release"]}


def measure(client: httpx.Client, call: Callable[[], httpx.Response], n: int
            ) -> tuple[float, float]:
    """Median milliseconds of ``n`` requests: the whole request, and validation in it
    (timed inside the server, so machine load on the client side does not blur it)."""
    inner: list[float] = []
    real = api._validate

    async def timed(request: Request, route: tuple[str, str]) -> None:
        start = time.perf_counter()
        await real(request, route)
        inner.append(time.perf_counter() - start)

    api._validate = timed
    whole = []
    try:
        for _ in range(n):
            start = time.perf_counter()
            call().raise_for_status()
            whole.append(time.perf_counter() - start)
    finally:
        api._validate = real
    return statistics.median(whole) * 1000, statistics.median(inner) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--markdown", action="store_true", help="print a results section")
    parser.add_argument("--quick", action="store_true", help="50 requests of each kind")
    args = parser.parse_args()
    if args.quick:
        args.requests = min(args.requests, 50)
    start = time.perf_counter()
    validation._spec()
    load = time.perf_counter() - start
    handle = start_sandbox(secondary_writes=10**6)  # a benchmark is one burst of writes
    rows = []
    try:
        with httpx.Client(base_url=handle.api_url, headers={
                "Authorization": f"Bearer {handle.admin_token}"}) as client:
            calls: dict[str, Callable[[], httpx.Response]] = {
                "PATCH issue (2 KB body)": lambda: client.patch(K + "/issues/1", json=BODY),
                "POST comment": lambda: client.post(K + "/issues/1/comments",
                                                    json={"body": "x" * 500}),
                "GET issues?state=all&per_page=100": lambda: client.get(
                    K + "/issues", params={"state": "all", "per_page": "100"}),
            }
            for kind, call in calls.items():
                rows.append((kind, *measure(client, call, args.requests)))
    finally:
        stop_sandbox(handle)
    print("### sandbox_validation\n" if args.markdown else machine_markdown() + "\n")
    print(f"{args.requests} requests of each kind, one after another.\n")
    print(f"one-time load and conversion of the description: {load * 1000:.0f} ms\n")
    print("| request | whole request, median ms | validation in it, median ms |")
    print("| --- | ---: | ---: |")
    for kind, whole, inner in rows:
        print(f"| {kind} | {whole:.2f} | {inner:.3f} |")


if __name__ == "__main__":
    main()
