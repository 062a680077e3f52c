"""The sandbox's webhooks: signed, schema-valid, in order, once; hooks and deliveries like
GitHub's (contract-checked); drops, redelivery, restarts, knobs, the CLI flags.

A tiny receiver (``http.server`` on 127.0.0.1) stands in for ``cockpit ci serve`` and
keeps what it is sent; every test checks signatures with ``hmac`` as a receiver must,
and every payload is validated against ``@octokit/webhooks-schemas`` (the cut in
tests/data/webhooks-schemas).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest

from cockpit.sandbox.testing import SandboxHandle, running_sandbox, start_sandbox, stop_sandbox
from cockpit.sandbox.webhooks import APP_ID
from tests.sandbox.conftest import validating_client
from tests.sandbox.contract import Contract

SECRET = "sandbox-hook-secret"
SCHEMAS = Path(__file__).resolve().parent.parent / "data" / "webhooks-schemas" / "schema.json"
FAST = {"workflow_seconds": 0.5, "tick_seconds": 0.05}
NPM = "ipfs/npm-go-ipfs"
KUBO = "ipfs/kubo"
LIFECYCLE = [("workflow_run", "requested"), ("workflow_job", "queued"),
             ("workflow_job", "in_progress"), ("workflow_run", "in_progress"),
             ("workflow_job", "completed"), ("workflow_run", "completed")]


# -- the receiver -------------------------------------------------------------------------

@dataclass
class Got:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers["x-github-event"]

    @property
    def guid(self) -> str:
        return self.headers["x-github-delivery"]

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def action(self) -> str | None:
        action = self.payload.get("action")
        return str(action) if action is not None else None

    def run_id(self) -> int | None:
        p = self.payload
        if "workflow_run" in p:
            return int(p["workflow_run"]["id"])
        if "workflow_job" in p:
            return int(p["workflow_job"]["run_id"])
        return None


class Receiver:
    def __init__(self) -> None:
        self.got: list[Got] = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.got.append(Got({k.lower(): v for k, v in self.headers.items()},
                                            body))
                    status = receiver.status
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def all(self) -> list[Got]:
        with self.lock:
            return list(self.got)

    def wait(self, pred: Callable[[list[Got]], bool], timeout: float = 10.0) -> list[Got]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.all()
            if pred(got):
                return got
            assert time.monotonic() < deadline, [(g.event, g.action) for g in got]
            time.sleep(0.02)

    def run_done(self, run_id: int | None = None, attempt: int | None = None
                 ) -> list[Got]:
        def done(got: list[Got]) -> bool:
            return any(g.event == "workflow_run" and g.action == "completed"
                       and (run_id is None or g.run_id() == run_id)
                       and (attempt is None
                            or g.payload["workflow_run"]["run_attempt"] == attempt)
                       for g in got)
        return self.wait(done)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def hooked(tmp_path: Path, receiver: Receiver) -> Iterator[SandboxHandle]:
    """A sandbox whose App hook delivers to the receiver, signed with SECRET."""
    with running_sandbox(tmp_path, webhook_url=receiver.url, webhook_secret=SECRET,
                         **FAST) as sb:
        yield sb


@pytest.fixture
def api(hooked: SandboxHandle, contract: Contract) -> Iterator[httpx.Client]:
    with validating_client(hooked, contract, hooked.admin_token) as client:
        yield client


# -- checks every delivery passes ---------------------------------------------------------------

@cache
def _schemas() -> dict[str, Any]:
    return json.loads(SCHEMAS.read_text())  # type: ignore[no-any-return]


_formats = jsonschema.FormatChecker()


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


_formats.checks("uri")(_is_uri)  # jsonschema checks "uri" only with rfc3987 installed


def validate(g: Got) -> None:
    """The payload against @octokit/webhooks-schemas (``<event>$<action>``)."""
    name = "ping$event" if g.event == "ping" else f"{g.event}${g.action}"
    schema = {"$ref": f"#/definitions/{name}", "definitions": _schemas()["definitions"]}
    jsonschema.Draft7Validator(schema, format_checker=_formats).validate(g.payload)


def verify(g: Got, secret: str = SECRET) -> None:
    """What a receiver checks: the signature (constant time) and GitHub's headers."""
    expected = "sha256=" + hmac.new(secret.encode(), g.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(g.headers["x-hub-signature-256"], expected)
    assert uuid.UUID(g.guid).version == 4
    assert g.headers["user-agent"].startswith("GitHub-Hookshot/")
    assert g.headers["content-type"] == "application/json"
    assert g.headers["x-github-hook-id"].isdigit()
    assert g.headers["x-github-hook-installation-target-type"] in (
        "integration", "repository", "organization")
    validate(g)


def dispatch(client: httpx.Client, repo: str, workflow: str) -> int:
    """Start a run; its id (the one place the test polls, once)."""
    client.post(f"/repos/{repo}/actions/workflows/{workflow}/dispatches",
                json={"ref": "master"}).raise_for_status()
    runs = client.get(f"/repos/{repo}/actions/workflows/{workflow}/runs").json()
    return int(runs["workflow_runs"][0]["id"])


def lifecycle(got: list[Got], run_id: int) -> list[tuple[str, str | None]]:
    return [(g.event, g.action) for g in got if g.run_id() == run_id]


# -- tests --------------------------------------------------------------------------------------

def test_a_run_is_delivered_signed_valid_in_order_without_polling(
        hooked: SandboxHandle, receiver: Receiver, api: httpx.Client) -> None:
    ping = receiver.wait(lambda got: len(got) >= 1)[0]
    assert ping.event == "ping" and ping.payload["hook"]["type"] == "App"
    assert ping.headers["x-github-hook-installation-target-type"] == "integration"
    assert ping.headers["x-github-hook-installation-target-id"] == str(APP_ID)
    verify(ping)

    run_id = dispatch(api, NPM, "main.yml")
    got = receiver.run_done(run_id)  # nobody polls meanwhile: the ticker moves the run
    world_run = next(r for r in hooked.sandbox.world.data["repos"][NPM]["runs"]
                     if r["id"] == run_id)
    assert world_run["status"] == "completed"
    assert lifecycle(got, run_id) == LIFECYCLE
    mine = [g for g in got if g.run_id() == run_id]
    for g in mine:
        verify(g)
        assert g.headers["x-github-hook-id"] == ping.headers["x-github-hook-id"]
        assert g.payload["installation"]["id"] > 0
    assert len({g.guid for g in got}) == len(got)

    run = mine[-1].payload["workflow_run"]
    job = mine[-2].payload["workflow_job"]
    assert run["conclusion"] == job["conclusion"] == "success"
    assert run["created_at"] <= job["created_at"] <= job["started_at"] <= job["completed_at"]
    assert job["completed_at"] <= run["updated_at"]
    assert job["labels"] == ["ubuntu-latest"] and job["runner_group_name"] == "GitHub Actions"
    queued = mine[1].payload["workflow_job"]
    assert queued["status"] == "queued" and queued["runner_name"] is None
    assert queued["steps"] == []
    assert [s["status"] for s in job["steps"]] == ["completed"] * len(job["steps"])
    # The REST API tells the same story (gap repair reads it).
    rest = api.get(f"/repos/{NPM}/actions/runs/{run_id}/jobs").json()["jobs"][0]
    assert (rest["id"], rest["labels"], rest["started_at"], rest["completed_at"]) == \
        (job["id"], job["labels"], job["started_at"], job["completed_at"])

    time.sleep(0.3)  # nothing more comes: each transition once
    assert len([g for g in receiver.all() if g.run_id() == run_id]) == len(LIFECYCLE)


def test_schema_validation_bites(hooked: SandboxHandle, receiver: Receiver) -> None:
    ping = receiver.wait(lambda got: len(got) >= 1)[0]
    broken = ping.payload
    broken["hook"]["unexpected"] = True
    with pytest.raises(jsonschema.ValidationError):
        validate(Got(ping.headers, json.dumps(broken).encode()))


def test_failure_then_rerun_is_a_new_attempt_with_new_jobs(
        hooked: SandboxHandle, receiver: Receiver, api: httpx.Client) -> None:
    hooked.set_workflow_outcome(NPM, "main.yml", "failure", times=1)
    run_id = dispatch(api, NPM, "main.yml")
    first = [g for g in receiver.run_done(run_id) if g.run_id() == run_id]
    assert first[-1].payload["workflow_run"]["conclusion"] == "failure"
    assert first[-2].payload["workflow_job"]["conclusion"] == "failure"
    steps = first[-2].payload["workflow_job"]["steps"]
    assert "failure" in [s["conclusion"] for s in steps]
    api.post(f"/repos/{NPM}/actions/runs/{run_id}/rerun").raise_for_status()
    got = receiver.run_done(run_id, attempt=2)
    second = [g for g in got if g.run_id() == run_id][len(first):]
    assert [(g.event, g.action) for g in second] == LIFECYCLE
    for g in second:
        verify(g)
    again = second[0].payload["workflow_run"]
    assert again["run_attempt"] == 2
    assert again["previous_attempt_url"].endswith(f"/runs/{run_id}/attempts/1")
    assert second[1].payload["workflow_job"]["id"] != first[1].payload["workflow_job"]["id"]
    assert second[-1].payload["workflow_run"]["conclusion"] == "success"


def test_hook_crud_and_deliveries_api_follow_github(
        sandbox: SandboxHandle, gh: httpx.Client, gh_readonly: httpx.Client,
        receiver: Receiver, checked: Any) -> None:
    before = checked.count
    hooks = "/repos/ipfs/kubo/hooks"
    config = {"url": receiver.url, "content_type": "json", "secret": SECRET}
    created = gh.post(hooks, json={"name": "web", "config": config,
                                   "events": ["workflow_job"], "active": True})
    assert created.status_code == 201
    hook = created.json()
    assert created.headers["location"] == hook["url"]
    assert hook["config"]["secret"] == "********" and hook["type"] == "Repository"
    ping = receiver.wait(lambda got: len(got) >= 1)[0]
    verify(ping)
    assert ping.payload["hook_id"] == hook["id"]
    assert ping.headers["x-github-hook-installation-target-type"] == "repository"
    assert ping.headers["x-github-hook-installation-target-id"] == \
        str(gh.get("/repos/ipfs/kubo").json()["id"])

    assert [h["id"] for h in gh.get(hooks).json()] == [hook["id"]]
    one = f"{hooks}/{hook['id']}"
    assert gh.get(one).json()["events"] == ["workflow_job"]
    patched = gh.patch(one, json={"add_events": ["workflow_run"], "config": config}).json()
    assert patched["events"] == ["workflow_job", "workflow_run"]
    assert gh.patch(one + "/config", json={"insecure_ssl": "0"}).json()["secret"] == "********"
    assert gh.get(one + "/config").json()["url"] == receiver.url
    assert gh.post(one + "/pings").status_code == 204
    receiver.wait(lambda got: len(got) >= 2)
    sandbox.sandbox.webhooks.wait_idle()
    listed = gh.get(one + "/deliveries").json()
    assert [d["event"] for d in listed] == ["ping", "ping"]
    detail = gh.get(f"{one}/deliveries/{listed[0]['id']}").json()
    assert detail["request"]["headers"]["X-GitHub-Delivery"] == listed[0]["guid"]
    assert detail["response"]["payload"] == "ok" and detail["status_code"] == 200

    org = gh.post("/orgs/ipfs/hooks", json={"name": "web", "config": config,
                                            "events": ["workflow_run", "workflow_job"]})
    assert org.status_code == 201 and org.json()["type"] == "Organization"
    assert [h["id"] for h in gh.get("/orgs/ipfs/hooks").json()] == [org.json()["id"]]
    org_ping = receiver.wait(lambda got: len(got) >= 3)[2]
    verify(org_ping)
    assert org_ping.headers["x-github-hook-installation-target-type"] == "organization"

    # Faults of the caller: GitHub's answers.
    assert gh.post(hooks, json={"config": {"url": "https://example.com/hook"}}
                   ).status_code == 422  # the sandbox only delivers to loopback
    assert gh.post(hooks, json={"events": ["push"]}).status_code == 422
    assert gh.get("/orgs/nobody/hooks").status_code == 404
    assert gh_readonly.get(hooks).status_code == 404
    assert httpx.get(sandbox.api_url + hooks).status_code == 401
    assert gh.delete(one).status_code == 204
    assert gh.get(one).status_code == 404

    # The App's hook, configured through the API (GitHub: with an App JWT).
    app = gh.patch("/app/hook/config", json={"url": receiver.url, "content_type": "json",
                                             "secret": SECRET})
    assert app.status_code == 200 and app.json()["secret"] == "********"
    assert gh.get("/app/hook/config").json()["url"] == receiver.url
    receiver.wait(lambda got: any(g.payload.get("hook", {}).get("type") == "App"
                                  for g in got))
    sandbox.sandbox.webhooks.wait_idle()
    assert [d["event"] for d in gh.get("/app/hook/deliveries").json()] == ["ping"]
    assert checked.count - before >= 20  # all of it went through the contract check

    # The secret never shows: not in the request log, not in the inspection state.
    assert SECRET not in json.dumps(sandbox.requests())
    assert SECRET not in json.dumps(sandbox.state())


def test_dropped_deliveries_are_failed_attempts_and_redelivery_keeps_the_guid(
        hooked: SandboxHandle, receiver: Receiver, api: httpx.Client) -> None:
    receiver.wait(lambda got: len(got) >= 1)
    hooked.sandbox.webhooks.drop_next(2)
    run_id = dispatch(api, NPM, "main.yml")
    got = receiver.run_done(run_id)
    assert lifecycle(got, run_id) == LIFECYCLE[2:]  # requested and queued never came
    hooked.sandbox.webhooks.wait_idle()
    failed = api.get("/app/hook/deliveries", params={"status": "failure"}).json()
    assert [(d["event"], d["action"], d["status_code"]) for d in failed] == [
        ("workflow_job", "queued", 0), ("workflow_run", "requested", 0)]
    for d in failed:
        assert api.post(f"/app/hook/deliveries/{d['id']}/attempts").status_code == 202
    again = receiver.wait(lambda got: len(got) >= 1 + len(LIFECYCLE))[-2:]
    assert {g.guid for g in again} == {d["guid"] for d in failed}
    for g in again:
        verify(g)
    hooked.sandbox.webhooks.wait_idle()
    listed = api.get("/app/hook/deliveries").json()
    redone = [d for d in listed if d["redelivery"]]
    assert len(redone) == 2 and all(d["status_code"] == 200 for d in redone)
    assert {d["guid"] for d in redone} == {d["guid"] for d in failed}

    # A receiver that answers 500 is a failed delivery too; a silent drop leaves no trace.
    receiver.status = 500
    hooked.sandbox.webhooks.drop_next(1, visible=False)
    second = dispatch(api, NPM, "main.yml")
    got = receiver.run_done(second)
    assert lifecycle(got, second) == LIFECYCLE[1:]
    hooked.sandbox.webhooks.wait_idle()
    now_failed = api.get("/app/hook/deliveries", params={"status": "failure"}).json()
    assert {d["status"] for d in now_failed} >= {"Invalid HTTP Response: 500"}
    lost = [d for d in hooked.sandbox.webhooks.all_deliveries() if d["state"] == "lost"]
    assert [(d["event"], d["action"]) for d in lost] == [("workflow_run", "requested")]
    assert lost[0]["id"] not in [d["id"] for d in api.get("/app/hook/deliveries").json()]
    state = httpx.get(hooked.base_url + "/_sandbox/webhooks").json()
    assert [d["state"] for d in state["deliveries"]].count("lost") == 1


def test_deliveries_are_cursor_paginated_newest_first(
        hooked: SandboxHandle, receiver: Receiver, api: httpx.Client) -> None:
    run_id = dispatch(api, NPM, "main.yml")
    receiver.run_done(run_id)
    hooked.sandbox.webhooks.wait_idle()
    everything = api.get("/app/hook/deliveries", params={"per_page": 100}).json()
    assert len(everything) == 1 + len(LIFECYCLE)
    assert [d["id"] for d in everything] == sorted((d["id"] for d in everything), reverse=True)
    pages, url = [], "/app/hook/deliveries?per_page=3"
    while url:
        response = api.get(url)
        pages.append(response.json())
        url = response.links.get("next", {}).get("url", "")
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [d["id"] for p in pages for d in p] == [d["id"] for d in everything]


def test_self_hosted_labels_queue_spike_and_creep(
        tmp_path: Path, receiver: Receiver, contract: Contract) -> None:
    # Go Test (kubo) runs on self-hosted runners, timeout-minutes 20: at time_scale 0.0005
    # the timeout is 0.6 s, so creeping to 0.5 of it runs 0.3 s; the queue is 3 x 0.1 s.
    with running_sandbox(tmp_path, webhook_url=receiver.url, webhook_secret=SECRET,
                         time_scale=0.0005, queue_spike={KUBO: 3.0},
                         creep={f"{KUBO}:gotest.yml": 0.5}, **FAST
                         ) as sb, validating_client(sb, contract, sb.admin_token) as api:
        run_id = dispatch(api, KUBO, "gotest.yml")
        hosted_id = dispatch(api, NPM, "main.yml")
        got = receiver.run_done(run_id)
        got = receiver.run_done(hosted_id)
        jobs = [g.payload["workflow_job"] for g in got
                if g.event == "workflow_job" and g.run_id() == run_id]
        assert [j["status"] for j in jobs] == ["queued", "in_progress", "completed"]
        for j in jobs:
            assert j["labels"] == ["self-hosted", "linux", "x64"]
        assert jobs[0]["runner_group_name"] is None
        assert jobs[1]["runner_group_name"] == jobs[2]["runner_group_name"] == "Default"
        assert jobs[2]["runner_name"].startswith("ipfs-runner-")
        hosted = [g.payload["workflow_job"] for g in got
                  if g.event == "workflow_job" and g.run_id() == hosted_id]
        assert hosted[-1]["labels"] == ["ubuntu-latest"]
        assert hosted[-1]["runner_group_name"] == "GitHub Actions"
        for g in got:
            verify(g)
        world = next(r for r in sb.sandbox.world.data["repos"][KUBO]["runs"]
                     if r["id"] == run_id)
        job = world["jobs"][0]
        assert job["queue_s"] == pytest.approx(0.3) and job["run_s"] == pytest.approx(0.3)
        assert world["start_s"] == pytest.approx(0.3) and world["duration"] == \
            pytest.approx(0.6)
        rest = api.get(f"/repos/{KUBO}/actions/runs/{run_id}/jobs").json()["jobs"][0]
        assert rest["labels"] == ["self-hosted", "linux", "x64"]

        # Past its timeout, a job is cancelled, as GitHub does (and so is its run).
        sb.sandbox.sim.set_creep(f"{KUBO}:gotest.yml:go-test", 1.5)
        again = dispatch(api, KUBO, "gotest.yml")
        got = receiver.run_done(again)
        done = [g for g in got if g.run_id() == again and g.action == "completed"]
        assert [g.payload.get("workflow_job", g.payload.get("workflow_run"))["conclusion"]
                for g in done] == ["cancelled", "cancelled"]
        for g in done:
            verify(g)


def test_each_transition_once_across_restarts(tmp_path: Path, receiver: Receiver) -> None:
    """Stopped with deliveries still queued (a slow receiver), restarted after the run
    ended: what was written is sent, what was due is written, nothing twice."""
    options: dict[str, Any] = {"webhook_url": receiver.url, "webhook_secret": SECRET,
                               "workflow_seconds": 1.0, "tick_seconds": 0.05}
    data = tmp_path / "sandbox"
    sb = start_sandbox(data, **options)
    try:
        receiver.wait(lambda got: len(got) >= 1)  # the App hook's ping
        receiver.delay = 0.3
        with httpx.Client(base_url=sb.api_url,
                          headers={"Authorization": f"Bearer {sb.admin_token}"}) as client:
            run_id = dispatch(client, NPM, "main.yml")
        receiver.wait(lambda got: len(lifecycle(got, run_id)) >= 1)
        time.sleep(0.05)
    finally:
        stop_sandbox(sb)
    pending = [d for d in json.loads("[" + ",".join(
        (data / "webhook-deliveries.jsonl").read_text().splitlines()) + "]")
        if d.get("state") == "pending"]
    assert pending  # written, not yet attempted when the sandbox stopped
    # A crash after writing a delivery but before marking its transition: the marker is
    # gone, the delivery is in the log; it must not be sent twice.
    world = json.loads((data / "world.json").read_text())
    run = next(r for r in world["repos"][NPM]["runs"] if r["id"] == run_id)
    assert "1:run:requested" in run["hook_events"]
    run["hook_events"].remove("1:run:requested")
    (data / "world.json").write_text(json.dumps(world))
    receiver.delay = 0.0
    time.sleep(1.0)  # the run finishes while the sandbox is down

    sb = start_sandbox(data, **options)
    try:
        receiver.run_done(run_id)
        time.sleep(0.3)
        got = receiver.all()
        assert lifecycle(got, run_id) == LIFECYCLE
        assert [g.event for g in got].count("ping") == 1  # same App hook: no new ping
        for g in got:
            verify(g)
    finally:
        stop_sandbox(sb)


def test_cli_flags(tmp_path: Path, receiver: Receiver) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit.sandbox", "--webhook-url", receiver.url,
         "--drop-deliveries", "1", "--queue-spike", f"{KUBO}=2",
         "--creep", f"{KUBO}:gotest.yml=0.9", "--workflow-seconds", "0.3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COCKPIT_SANDBOX_WEBHOOK_SECRET": SECRET})
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("export COCKPIT_DIST_URL"):
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            lines.append(line)
        assert f"# webhooks: workflow_run, workflow_job -> {receiver.url} (signed)\n" in lines
        assert SECRET not in "".join(lines)
        verify(receiver.wait(lambda got: len(got) >= 1)[0])
        base = lines[0].split()[-1]
        state = httpx.get(base + "/_sandbox/webhooks").json()
        assert state["drop_next"] == 1
        assert state["knobs"] == {"queue_spike": {KUBO: 2.0},
                                  "creep": {f"{KUBO}:gotest.yml": 0.9}}
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0

def test_cli_refuses_bad_webhook_flags(capsys: pytest.CaptureFixture[str]) -> None:
    from cockpit.sandbox.cli import run

    assert run(["--webhook-url", "https://example.com/hook"]) == 2
    assert "only delivers to 127.0.0.1" in capsys.readouterr().err
    assert run(["--queue-spike", "ipfs/kubo"]) == 2
    assert "--queue-spike: expected KEY=NUMBER" in capsys.readouterr().err
