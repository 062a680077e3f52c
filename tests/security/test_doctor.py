"""``cockpit doctor`` against the sandbox: all ok, and each failure with its fix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from cockpit.doctor import clock_finding, rate_finding, run_doctor
from cockpit.playbook import load_playbook
from cockpit.sandbox.testing import SandboxHandle
from tests.security.conftest import ROOT


def doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "screens.main", "doctor", *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=120, check=False, cwd=ROOT)


def rows(table: str) -> dict[str, str]:
    """check title → its line, for the table's rows (not the fix lines)."""
    out = {}
    for line in table.splitlines():
        level, _, rest = line.partition("  ")
        if level.strip() in ("ok", "WARN", "FAIL"):
            out[rest.strip().split("  ")[0]] = line
    return out


def test_doctor_passes_on_a_machine_set_up_like_the_demo(demo_world: SandboxHandle) -> None:
    found = doctor("--version", "v0.30.0-rc1")
    assert found.returncode == 0, found.stdout + found.stderr
    table = rows(found.stdout)
    for check in ("GitHub token present and scoped", "Matrix token present",
                  "git user.name and user.email are configured",
                  "A GPG signing key is configured for the git identity",
                  "git is on PATH", "gh (GitHub CLI) is on PATH", "gpg is on PATH",
                  "reddit token", "clock", "GitHub rate limit"):
        assert table[check].startswith("ok "), table.get(check, found.stdout)
    assert "scopes repo, workflow) [$COCKPIT_GITHUB_TOKEN]" in table[
        "GitHub token present and scoped"]
    assert "go is on PATH" not in table  # an RC does not need go
    assert "0 failures" in found.stdout
    assert demo_world.admin_token not in found.stdout + found.stderr


def test_each_failure_comes_with_its_fix(demo_world: SandboxHandle, tmp_path: Path) -> None:
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    found = doctor("--version", "v0.30.0-rc1",
                   env={"COCKPIT_GITHUB_TOKEN": demo_world.readonly_token,
                        "GIT_CONFIG_GLOBAL": str(empty)})
    assert found.returncode == 1
    lines = found.stdout.splitlines()

    def fix_of(check: str) -> str:
        at = next(i for i, line in enumerate(lines) if check in line)
        assert lines[at].startswith("FAIL"), lines[at]
        return lines[at + 1].strip()

    scopes = fix_of("GitHub token present and scoped")
    assert "lacks the scopes repo, workflow (has: none)" in found.stdout
    assert scopes.startswith("fix: run `cockpit login github`")
    assert "export COCKPIT_GITHUB_TOKEN" in scopes
    identity = fix_of("git user.name and user.email are configured")
    assert identity == ('fix: run `git config --global user.name "Your Name"` and '
                        "`git config --global user.email you@example.org`")
    assert "git user.name and user.email not set" in found.stdout
    assert fix_of("A GPG signing key").startswith("fix: create or import a secret key")
    assert demo_world.readonly_token not in found.stdout + found.stderr


async def test_low_rate_limit_warns_with_the_reset_time(demo_world: SandboxHandle) -> None:
    demo_world.sandbox.rate_used["release-driver"] = 4800
    code, table = await run_doctor(load_playbook(), None)
    line = rows(table)["GitHub rate limit"]
    assert line.startswith("WARN"), table
    # 200 were left; the doctor's own checks (token, repositories, the signing key's
    # registration) spend a few, concurrently, before or after the rate-limit read.
    left = re.search(r"(\d+) of 5000 requests left \(resets at ", line)
    assert left and 190 <= int(left[1]) <= 199, line
    assert "fix: wait until " in table
    assert code == 0  # a warning is not a failure (go, not needed by every release, warns too)


def test_clock_skew_over_thirty_seconds_warns() -> None:
    now = float(int(datetime.now(UTC).timestamp()))  # Date headers have whole seconds
    server = format_datetime(datetime.fromtimestamp(now - 45, UTC), usegmt=True)
    late = clock_finding(server, now)
    assert late.level == "warn" and late.detail == "45 s ahead of GitHub's clock"
    assert "timedatectl set-ntp true" in late.fix
    close = clock_finding(format_datetime(datetime.fromtimestamp(now + 3, UTC), usegmt=True),
                          now)
    assert close.level == "ok" and "3 s behind" in close.detail
    assert clock_finding(None, now).level == "warn"
    healthy = rate_finding({"remaining": 4000, "limit": 5000, "reset": now + 600}, now)
    assert healthy.level == "ok" and "in 10 min" in healthy.detail
