"""The sandbox's request hold: the crash suite's way to kill a client mid-request."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from cockpit.sandbox.testing import running_sandbox

ISSUES = "/repos/ipfs/infra/issues"


def _post_in_thread(url: str, token: str, box: list[httpx.Response | Exception]) -> threading.Thread:
    def post() -> None:
        try:
            box.append(httpx.post(url, json={"title": "held"}, timeout=10,
                                  headers={"Authorization": f"Bearer {token}"}))
        except httpx.HTTPError as exc:
            box.append(exc)

    thread = threading.Thread(target=post)
    thread.start()
    return thread


def _titles(state: dict[str, object]) -> list[str]:
    repo = state["repos"]["ipfs/infra"]  # type: ignore[index]
    return [i["title"] for i in repo["issues"]]


def test_before_holds_unprocessed_then_drops(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sb:
        httpx.get(sb.api_url + ISSUES)  # reads are not counted
        sb.hold.arm(1, "before")
        box: list[httpx.Response | Exception] = []
        thread = _post_in_thread(sb.api_url + ISSUES, sb.admin_token, box)
        assert sb.hold.reached.wait(10)
        assert sb.hold.held is not None and sb.hold.held["method"] == "POST"
        assert "held" not in _titles(sb.state())
        sb.hold.release()
        thread.join(10)
        assert isinstance(box[0], httpx.Response) and box[0].status_code == 503
        assert "held" not in _titles(sb.state())
        assert sb.requests(mutating=True)[-1]["held"] == "before"


def test_after_applies_then_withholds_the_answer(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sb:
        sb.hold.arm(1, "after")
        box: list[httpx.Response | Exception] = []
        thread = _post_in_thread(sb.api_url + ISSUES, sb.admin_token, box)
        assert sb.hold.reached.wait(10)
        assert "held" in _titles(sb.state())  # the change landed ...
        assert not box  # ... and the client has heard nothing yet
        sb.hold.release()
        thread.join(10)
        assert isinstance(box[0], httpx.Response) and box[0].status_code == 201


def test_any_request_mode_counts_reads(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sb:
        sb.hold.arm(2, "after", mutating_only=False)
        assert httpx.get(sb.api_url + ISSUES).status_code == 200
        assert not sb.hold.reached.is_set()
        done = threading.Event()

        def read() -> None:
            httpx.get(sb.api_url + ISSUES)
            done.set()

        thread = threading.Thread(target=read)
        thread.start()
        assert sb.hold.reached.wait(10)
        assert not done.wait(0.2)
        sb.hold.release()
        thread.join(10)
        assert done.is_set()
