"""The workflow file gap repair is tested and benchmarked with: two jobs, one declaring a
timeout, one not.

Why here: the sync tests and the sync benchmark committed the same small workflow to the
sandbox, written out twice; they differ only in its name and where the lint job runs.
"""

from __future__ import annotations


def two_jobs(name: str, lint_runs_on: str = "ubuntu-latest") -> str:
    """A workflow ``name`` run on push and dispatch: ``Unit tests`` (20-minute timeout) and
    ``lint`` (no timeout declared: GitHub's default), ``lint`` on ``lint_runs_on``."""
    return f"""\
name: {name}
on: [push, workflow_dispatch]
jobs:
  test:
    name: Unit tests
    timeout-minutes: 20
    runs-on: ubuntu-latest
    steps: [{{run: go test ./...}}]
  lint:
    runs-on: {lint_runs_on}
    steps: [{{run: golangci-lint run}}]
"""
