"""A demo release produces CI data: the demo's sandbox sends its Actions webhooks to the
demo's receiver, so after the whole cycle the CI store holds every workflow run the
sandbox ran, once each, as webhooks told it (not gap-filled), with the same outcome.
Read off the session's cycle world."""

from __future__ import annotations

import time

from cockpit.ci.store import open_store
from tests.e2e.conftest import Cycle
from tests.e2e.driver import said


def _sandbox_runs(cycle: Cycle) -> dict[int, tuple[str, str | None]]:
    """Every completed run the sandbox made: id → (repository, conclusion)."""
    data = cycle.world.handle.sandbox.world.data
    return {run["id"]: (full, run["conclusion"]) for full, repo in data["repos"].items()
            for run in repo["runs"] if run["status"] == "completed"}


def test_the_demo_cycle_s_workflow_runs_are_in_its_ci_store_once_each(cycle: Cycle) -> None:
    database = cycle.driver.env["COCKPIT_CI_DATABASE"]
    assert database.startswith("sqlite:///") and str(cycle.world.home) in database
    made = _sandbox_runs(cycle)
    assert len(made) >= 10, "the cycle ran fewer workflows than a release does"
    store = open_store(database)
    try:
        deadline = time.monotonic() + 15  # the last completions may still be on the wire
        while True:
            rows = store.query("SELECT run_id, repository, conclusion, source, status "
                               "FROM workflow_runs")
            stored = {r["run_id"]: r for r in rows if r["status"] == "completed"}
            if set(made) <= set(stored) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert set(made) - set(stored) == set()
        for run_id, (repository, conclusion) in made.items():
            row = stored[run_id]
            assert (row["repository"], row["conclusion"], row["source"]) == \
                (repository, conclusion, "webhook")
        jobs = store.query("SELECT count(*) AS n, count(DISTINCT run_id) AS runs, "
                           "sum(CASE WHEN started_at IS NOT NULL AND completed_at IS NOT NULL "
                           "THEN 1 ELSE 0 END) AS timed FROM workflow_jobs")[0]
        assert jobs["runs"] >= len(made) and jobs["timed"] == jobs["n"]
        # Reruns of the cycle ran no workflow twice: one row per run attempt.
        attempts = store.query("SELECT run_id, count(*) AS n FROM workflow_runs "
                               "GROUP BY run_id HAVING count(*) > 1")
        assert attempts == []
    finally:
        store.close()
    with cycle.driver._environment():
        report = said("ci", "report", "--since", "1d")
    assert "ipfs/kubo" in report and "no data" not in report.lower()
