"""The sandbox in a process of its own, for benchmarks that time a client against it.

Why: ``cockpit.sandbox.testing.start_sandbox`` serves from a thread of the caller's
process, so the server's work (validation, git, GraphQL) takes the GIL from the client
being timed: a status at 0 ms latency looked like 1 s, most of it the sandbox's. GitHub
does its work on its own machines; here the sandbox at least does it in its own process
(the machine's two cores are still shared, and the tables say so).
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx


def _serve(data_dir: Path, options: dict[str, Any], pipe: Connection) -> None:
    from cockpit.sandbox.testing import start_sandbox, stop_sandbox

    handle = start_sandbox(data_dir, **options)
    pipe.send({"env": handle.env, "base_url": handle.base_url, "api_url": handle.api_url,
               "admin_token": handle.admin_token})
    try:
        pipe.recv()  # until the parent says stop (or goes away)
    except EOFError:
        pass
    finally:
        stop_sandbox(handle)


@dataclass
class SandboxProcess:
    """A started sandbox process: its environment for a cockpit, and its request log."""

    env: dict[str, str]
    base_url: str
    api_url: str
    admin_token: str
    _process: multiprocessing.process.BaseProcess
    _pipe: Connection

    def requests(self) -> int:
        """How many requests it has logged so far (the inspection API does not count)."""
        return len(httpx.get(f"{self.base_url}/_sandbox/requests", timeout=30).json())

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=30)


def start(data_dir: Path, **options: Any) -> SandboxProcess:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(data_dir, options, child), daemon=True)
    process.start()
    info = parent.recv()
    return SandboxProcess(info["env"], info["base_url"], info["api_url"], info["admin_token"],
                          process, parent)
