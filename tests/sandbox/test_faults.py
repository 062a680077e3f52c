"""Each fault kind, injected by request number or rate, at start or at runtime."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from cockpit.sandbox.faults import FaultSpec, FaultSpecError
from cockpit.sandbox.testing import SandboxHandle, running_sandbox

K = "/repos/ipfs/kubo"


def test_grammar_round_trip_and_errors() -> None:
    spec = FaultSpec.parse("5xx:0.1,latency:100,timeout:req=7,drop:0.05,ratelimit:req=20,"
                           "secondary:req=30+31,seed=1,hang=2")
    assert spec.latency_ms == 100 and spec.seed == 1 and spec.hang_seconds == 2
    assert [r.kind for r in spec.rules] == ["5xx", "timeout", "drop", "ratelimit", "secondary"]
    assert FaultSpec.parse(str(spec)) == spec
    for bad in ("bogus:1", "5xx", "5xx:2", "timeout:req=x", "latency:fast", "color=red"):
        with pytest.raises(FaultSpecError):
            FaultSpec.parse(bad)


def test_5xx_on_a_request_number(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    sandbox.set_faults("503:req=2")
    assert gh.get(K).status_code == 200
    failed = gh.get(K)
    assert failed.status_code == 503 and failed.headers["x-sandbox-fault"] == "503"
    assert gh.get(K).status_code == 200
    assert [r["fault"] for r in sandbox.requests()] == [None, "503", None]


def test_5xx_at_a_rate_is_reproducible(tmp_path: Path) -> None:
    def statuses(sub: str) -> list[int]:
        with running_sandbox(tmp_path / sub, faults="5xx:0.5,seed=7") as sb:
            return [httpx.get(sb.api_url + K).status_code for _ in range(20)]

    first = statuses("a")
    assert first == statuses("b")
    assert 3 <= first.count(500) <= 17 and 200 in first


def test_latency(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    sandbox.set_faults("latency:300")
    start = time.monotonic()
    assert gh.get(K).status_code == 200
    assert time.monotonic() - start >= 0.3


def test_timeout(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    sandbox.set_faults("timeout:req=1,hang=1.5")
    with pytest.raises(httpx.ReadTimeout):
        gh.get(K, timeout=0.3)
    assert gh.get(K).status_code == 200


def test_dropped_connection(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    sandbox.set_faults("drop:req=1")
    with pytest.raises(httpx.RemoteProtocolError):
        gh.get(K)
    assert gh.get(K).status_code == 200
    assert sandbox.requests()[0]["fault"] == "drop"


def test_primary_rate_limit(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    sandbox.set_faults("ratelimit:req=2")
    gh.get(K)
    limited = gh.get(K)
    assert limited.status_code == 403
    assert limited.headers["x-ratelimit-remaining"] == "0"
    reset = int(limited.headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + 3
    assert "rate limit" in limited.json()["message"]


def test_secondary_rate_limit(sandbox: SandboxHandle, gh: httpx.Client) -> None:
    sandbox.set_faults("secondary:req=1")
    limited = gh.post(K + "/issues", json={"title": "x"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert "secondary rate limit" in limited.json()["message"]
    assert gh.post(K + "/issues", json={"title": "x"}).status_code == 201
    titles = [i["title"] for i in sandbox.state()["repos"]["ipfs/kubo"]["issues"]]
    assert titles.count("x") == 1  # the limited request did nothing


def test_faults_at_runtime_over_http_and_services(sandbox: SandboxHandle) -> None:
    url = sandbox.base_url + "/_sandbox/faults"
    assert httpx.put(url, json={"spec": "nope:1"}).status_code == 400
    assert httpx.put(url, json={"spec": "502:req=1"}).json()["spec"] == "502:req=1"
    assert httpx.get(sandbox.base_url + "/dist/kubo/versions").status_code == 502
    assert httpx.get(sandbox.base_url + "/dist/kubo/versions").status_code == 200
    assert httpx.get(url).json()["count"] == 2
    httpx.put(url, json={"spec": ""})
    assert httpx.get(sandbox.api_url + K).status_code == 200


def test_git_and_inspection_are_never_faulted(sandbox: SandboxHandle, tmp_path: Path,
                                              git_env: dict[str, str]) -> None:
    sandbox.set_faults("5xx:1.0")
    assert httpx.get(sandbox.base_url + "/_sandbox/state").status_code == 200
    r = subprocess.run(["git", "clone", "-q", sandbox.clone_url("ipfs/kubo"),
                        str(tmp_path / "k")], env=git_env, capture_output=True, timeout=30)
    assert r.returncode == 0
    assert httpx.get(sandbox.api_url + K).status_code == 500
