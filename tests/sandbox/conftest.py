"""Sandbox fixtures: a fresh seeded sandbox per test, and GitHub clients whose every
request and response is validated against GitHub's official OpenAPI subset."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cockpit.sandbox.testing import SandboxHandle
from tests.sandbox.contract import Contract, load_contract
from tests.sandboxes import SandboxSetup


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


class Checked:
    """Counts validated exchanges, so a test can prove validation really ran."""

    count = 0


def validating_client(sb: SandboxHandle, contract: Contract, token: str | None,
                      **kwargs: object) -> httpx.Client:
    prefix = httpx.URL(sb.api_url).path

    def on_response(response: httpx.Response) -> None:
        request = response.request
        if not request.url.path.startswith(prefix):
            return
        response.read()
        contract.check(
            request.method, request.url.path[len(prefix):] or "/",
            request.url.query.decode(), dict(request.headers), request.content,
            response.status_code, dict(response.headers), response.content)
        Checked.count += 1

    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=sb.api_url, headers=headers, timeout=10,
                        event_hooks={"response": [on_response]}, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def checked() -> type[Checked]:
    return Checked


@pytest.fixture
def sandbox_setup() -> SandboxSetup:
    return SandboxSetup(options={"workflow_seconds": 0.3})


@pytest.fixture
def gh(sandbox: SandboxHandle, contract: Contract) -> Iterator[httpx.Client]:
    with validating_client(sandbox, contract, sandbox.admin_token) as client:
        yield client


@pytest.fixture
def gh_readonly(sandbox: SandboxHandle, contract: Contract) -> Iterator[httpx.Client]:
    with validating_client(sandbox, contract, sandbox.readonly_token) as client:
        yield client


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    """git with no user config, no prompts, a fixed identity."""
    home = tmp_path / "home"
    home.mkdir()
    return {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "HOME": str(home), "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Release Driver", "GIT_AUTHOR_EMAIL": "driver@example.org",
            "GIT_COMMITTER_NAME": "Release Driver",
            "GIT_COMMITTER_EMAIL": "driver@example.org"}
