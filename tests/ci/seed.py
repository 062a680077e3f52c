"""A seeded CI world's runs and jobs, and the webhook deliveries that tell a store of them.

Why here: the facts tests and the report tests each build a world of runs and jobs in plain
Python, deliver it through ``Store.ingest`` and check the store's numbers against the world's
own lists. They wrote the same ``Job``/``Run`` records, the same delivery builders and the
same nearest-rank percentile out twice; each test module keeps only its world.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cockpit.ci.store import Delivery
from tests.ci import payloads as p

Received = Callable[[str, int], datetime]
"""When a delivery for (repository, epoch) arrived; a world may note webhooks as it goes."""


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def on_time(_repo: str, epoch: int) -> datetime:
    """Every delivery arrives at the moment it tells of."""
    return at(epoch)


def nearest_rank(values: Iterable[int], q: float) -> int | None:
    """The smallest value whose rank is >= ceil(q * n) (what the facts promise)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@dataclass
class Job:
    repo: str
    workflow: str
    name: str
    job_id: int
    run_id: int
    sha: str
    created: int
    started: int | None
    completed: int | None
    status: str
    conclusion: str | None
    labels: tuple[str, ...]

    @property
    def kind(self) -> str:
        return "self-hosted" if "self-hosted" in self.labels else "github-hosted"

    @property
    def duration(self) -> int | None:
        if self.status != "completed" or self.conclusion == "skipped":
            return None
        if self.started is None or self.completed is None:
            return None
        return self.completed - self.started

    @property
    def queue(self) -> int | None:
        return None if self.started is None else self.started - self.created


@dataclass
class Run:
    repo: str
    workflow: str
    run_id: int
    sha: str
    created: int
    started: int
    completed: int | None
    status: str
    conclusion: str | None
    jobs: list[Job] = field(default_factory=list)

    @property
    def duration(self) -> int | None:
        if self.status != "completed" or self.conclusion == "skipped" or self.completed is None:
            return None
        return self.completed - self.started

    def job(self, name: str, job_id: int, created: int, started: int | None,
            completed: int | None, status: str, conclusion: str | None,
            labels: tuple[str, ...]) -> Job:
        """A job of this run (not added to ``jobs``)."""
        return Job(self.repo, self.workflow, name, job_id, self.run_id, self.sha, created,
                   started, completed, status, conclusion, labels)


def run_deliveries(run: Run, path: str, received: Received = on_time,
                   source: str = "webhook") -> list[Delivery]:
    """The run's ``workflow_run`` deliveries: requested, in progress, completed if it is."""
    common: dict[str, Any] = {"run_id": run.run_id, "repo": run.repo, "workflow_name": run.workflow,
                              "path": path, "head_sha": run.sha, "created_at": at(run.created),
                              "run_started_at": at(run.started), "source": source}
    out = [p.run_delivery("requested", **common, received_at=received(run.repo, run.created)),
           p.run_delivery("in_progress", **common, received_at=received(run.repo, run.started))]
    if run.status == "completed":
        assert run.completed is not None
        out.append(p.run_delivery("completed", **common, conclusion=run.conclusion,
                                  updated_at=at(run.completed),
                                  received_at=received(run.repo, run.completed)))
    return out


def job_deliveries(job: Job, received: Received = on_time, source: str = "webhook",
                   *, in_progress: bool = True) -> list[Delivery]:
    """The job's ``workflow_job`` deliveries: queued, waiting if it is, in progress once
    started (unless ``in_progress`` is false: those were never sent), completed if it is."""
    common: dict[str, Any] = {"job_id": job.job_id, "run_id": job.run_id, "repo": job.repo,
                              "workflow_name": job.workflow, "name": job.name,
                              "head_sha": job.sha, "labels": job.labels,
                              "created_at": at(job.created), "source": source}
    out = [p.job_delivery("queued", **common, received_at=received(job.repo, job.created))]
    if job.status == "waiting":
        out.append(p.job_delivery("waiting", **common, received_at=received(job.repo, job.created)))
    if job.started is not None and in_progress:
        out.append(p.job_delivery("in_progress", **common, started_at=at(job.started),
                                  received_at=received(job.repo, job.started)))
    if job.status == "completed":
        assert job.started is not None and job.completed is not None
        out.append(p.job_delivery("completed", **common, started_at=at(job.started),
                                  completed_at=at(job.completed), conclusion=job.conclusion,
                                  received_at=received(job.repo, job.completed)))
    return out
