"""``http.check`` (``cockpit/actions/http_check.py``) through the engine against the sandbox
over loopback: its PyPI's JSON API and the dist site's text answer the GETs."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from cockpit.events import ActionChecked
from cockpit.model import Outcome, Status
from cockpit.playbook import PlaybookError, parse_playbook
from cockpit.sandbox.testing import SandboxHandle
from tests.kinds.harness import Run, inline, make_engine
from tests.pypi_setup import release


@pytest.fixture(scope="module")
def world(module_sandbox: SandboxHandle) -> SandboxHandle:
    """One sandbox for the module, with acme-widgets 1.2.0 on its PyPI."""
    release(module_sandbox, "acme-widgets", "1.2.0")
    return module_sandbox


@pytest.fixture(autouse=True)
def sandbox(world: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxHandle]:
    """The module's sandbox, its settings exported, no faults, its request log cleared."""
    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    world.set_faults("")
    world.clear_requests()
    yield world


def check(**params: Any) -> Run:
    return Run(inline([("http", "http.check", params)]), abort=True)


def statuses(run: Run) -> list[Status]:
    return [e.result.status for e in run.events if isinstance(e, ActionChecked)]


@pytest.mark.parametrize("params", [
    {"json_path": "$.info.version", "equals": "1.2.0"},
    {"json_path": "$.urls[*].packagetype", "equals": "bdist_wheel"},
    {"json_path": "$.info.yanked", "equals": False},
    {"json_path": "$.urls[?@.packagetype == 'sdist'].filename"},
    {"contains": '"name":"acme-widgets"'},
    {},
], ids=["json-string", "json-wildcard", "json-false", "json-filter", "text", "status-only"])
async def test_an_answer_as_expected_is_done_and_nothing_is_sent(
        sandbox: SandboxHandle, params: dict[str, Any]) -> None:
    url = f"{sandbox.env['COCKPIT_PYPI_URL']}/pypi/acme-widgets/1.2.0/json"
    run = check(url=url, **params)
    report = await run()
    assert report.outcome is Outcome.DONE, report
    assert run.applied == [] and statuses(run) == [Status.DONE]
    assert not sandbox.requests(mutating=True)
    assert len(sandbox.requests(service="pypi")) == 1


@pytest.mark.parametrize(("params", "reason"), [
    ({"url": "{settings.pypi_url}/pypi/acme-widgets/9.9.9/json"}, "answered 404, not 200"),
    ({"json_path": "$.info.version", "equals": "1.3.0"}, '$.info.version is "1.2.0", not "1.3.0"'),
    ({"json_path": "$.info.yanked", "equals": 0}, "$.info.yanked is false, not 0"),
    ({"json_path": "$.info.nothing"}, "$.info.nothing selects nothing in"),
    ({"contains": "acme-gadgets"}, "does not contain 'acme-gadgets'"),
    ({"url": "{settings.pypi_url}/simple/acme-widgets/", "json_path": "$.name"},
     "did not answer JSON, so $.name cannot be read"),
], ids=["status", "json-value", "json-type", "json-nothing", "text", "not-json"])
async def test_an_answer_not_as_expected_is_failed_with_why(
        sandbox: SandboxHandle, params: dict[str, Any], reason: str) -> None:
    run = check(**{"url": "{settings.pypi_url}/pypi/acme-widgets/1.2.0/json", **params})
    report = await run()
    assert report.outcome is not Outcome.DONE and statuses(run)[-1] is Status.FAILED
    assert reason in report.actions[0].reason, report.actions[0].reason


async def test_a_failing_server_is_retried_within_the_attempts(
        sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_HTTP_RETRY_BASE_SECONDS", "0.05")
    url = f"{sandbox.env['COCKPIT_DIST_URL']}/kubo/versions"
    sandbox.set_faults("503:req=1+2")
    report = await check(url=url, contains="v0.29.0", attempts=3)()
    assert report.outcome is Outcome.DONE, report
    assert [r["status"] for r in sandbox.requests(service="dist")] == [503, 503, 200]
    sandbox.set_faults("503:req=1")
    report = await check(url=url, contains="v0.29.0", attempts=1)()
    assert "answered 503, not 200" in report.actions[0].reason


async def test_an_expected_404_is_done(sandbox: SandboxHandle) -> None:
    report = await check(url="{settings.pypi_url}/pypi/never-published/json", status=404)()
    assert report.outcome is Outcome.DONE, report


@pytest.mark.parametrize(("params", "expected"), [
    ({"json_path": "$.urls[*].packagetype", "equals": "sdist"},
     "curl -sS {url} | jq '.urls[].packagetype'   # must print \"sdist\""),
    ({"json_path": "$.releases['1.2.0'][0]['upload-time']"},
     "curl -sS {url} | jq '.releases[\"1.2.0\"][0][\"upload-time\"]'   # must print "
     "something"),
    ({"json_path": "$..filename"},
     "curl -sS {url} | python -m jsonpath_rfc9535 -q '$..filename'   # must print something"),
    ({"contains": "it's here"}, "curl -sS {url} | grep -F -- 'it'\"'\"'s here'"),
], ids=["jq", "jq-quoted-names", "descendants-need-the-library", "text"])
def test_the_explanation_gives_the_exact_manual_commands(
        sandbox: SandboxHandle, params: dict[str, Any], expected: str) -> None:
    url = "https://example.org/pypi/x/json"
    plan = inline([("http", "http.check", {"url": url, **params})])
    engine, _ = make_engine(plan)
    kind = engine.build(plan.stages[0], plan.stages[0].actions[0])
    assert kind is not None
    lines = kind.explain().split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert lines[0] == f"curl -sS -o /dev/null -w '%{{http_code}}\\n' {url}   # must print 200"
    assert lines[1] == expected.format(url=url)


@pytest.mark.parametrize(("params", "message"), [
    ('{ url = "https://x.org", json_path = "$.info[" }',
     "field 'params.json_path': Value error, not an RFC 9535 JSONPath"),
    ('{ url = "https://x.org", equals = "1.2.0" }',
     "'equals' compares the value at 'json_path': give json_path too"),
], ids=["bad-path", "equals-without-path"])
def test_a_bad_check_does_not_load(params: str, message: str) -> None:
    text = ('name = "t"\ntitle = "T"\n[[stages]]\nid = "s"\ntitle = "S"\nsummary = "s"\n'
            '[[stages.actions]]\nid = "h"\nkind = "http.check"\ntitle = "H"\n'
            f"params = {params}\n")
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "p.toml")
    assert "p.toml:11" in str(caught.value) and message in str(caught.value), caught.value


def test_a_templated_path_loads() -> None:
    text = ('name = "t"\ntitle = "T"\n[[stages]]\nid = "s"\ntitle = "S"\nsummary = "s"\n'
            '[[stages.actions]]\nid = "h"\nkind = "http.check"\ntitle = "H"\n'
            "params = { url = \"https://x.org\", json_path = \"$.releases['{version.tag}']\" }\n")
    assert parse_playbook(text, "p.toml").stages[0].actions[0].kind == "http.check"


def test_the_manual_commands_see_what_the_check_sees(sandbox: SandboxHandle) -> None:
    """The explanation's commands, run as a person would (bash, curl, jq), against the
    sandbox: each prints what its comment says it must."""
    url = f"{sandbox.env['COCKPIT_PYPI_URL']}/pypi/acme-widgets/1.2.0/json"
    plan = inline([("http", "http.check", {"url": url, "json_path": "$.urls[*].packagetype",
                                           "equals": "sdist", "contains": "acme_widgets"})])
    engine, _ = make_engine(plan)
    kind = engine.build(plan.stages[0], plan.stages[0].actions[0])
    assert kind is not None
    lines = kind.explain().split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    printed = [subprocess.run(["bash", "-c", line], capture_output=True, text=True,
                              check=True, timeout=30).stdout.split() for line in lines]
    assert printed[0] == ["200"]
    assert '"sdist"' in printed[1] and '"bdist_wheel"' in printed[1]
    assert any("acme_widgets" in word for word in printed[2])


async def test_a_server_that_does_not_answer_is_failed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.setenv("COCKPIT_HTTP_RETRY_BASE_SECONDS", "0.05")
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    report = await check(url=f"http://127.0.0.1:{port}/health", attempts=2)()
    assert report.outcome is not Outcome.DONE
    assert f"http://127.0.0.1:{port}/health did not answer: " in report.actions[0].reason
    assert "failed after 2 attempts" in report.actions[0].reason
