"""The console script as a user runs it: real subprocesses, real exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from cockpit.sandbox.testing import running_sandbox
from tests.gitworld import make_remote, refs

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data"
SMALL = str(DATA / "git-release.toml")


def cockpit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "screens.main", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120, check=False)


def test_version_flag() -> None:
    found = cockpit("--version")
    assert found.returncode == 0 and found.stdout.startswith("cockpit ")


def test_explain_lists_the_fifteen_stages_in_order() -> None:
    found = cockpit("explain")
    assert found.returncode == 0, found.stderr
    listed = [line.split(". ", 1)[1].split()[0] for line in found.stdout.splitlines()
              if line[:2].strip().isdigit() and line[2:4] == ". "]
    assert len(listed) == 15 and listed[0] == "preflight" and listed[-1] == "prepare-next"
    assert "not implemented yet" in found.stdout


def test_explain_action_leads_to_its_kind_code_and_test() -> None:
    found = cockpit("explain", "publish-to-npm/npm-kubo")
    assert found.returncode == 0, found.stderr
    code = re.search(r"^Code: `(.+):(\d+)` \(`(\w+)`\)", found.stdout, re.MULTILINE)
    test = re.search(r"^Test: `(.+)`$", found.stdout, re.MULTILINE)
    assert code and test, found.stdout
    assert code[1] == "cockpit/actions/packages.py" and test[1] == "tests/kinds/test_packages.py"
    line = (ROOT / code[1]).read_text().splitlines()[int(code[2]) - 1]
    assert line.startswith(f"class {code[3]}(")
    assert (ROOT / test[1]).is_file()
    stage = cockpit("explain", "publish-to-npm").stdout
    assert stage.count("Code: `cockpit/actions/") == stage.count("Kind: `") == 7


def test_explain_stage_shows_manual_commands() -> None:
    found = cockpit("explain", "prepare-branch", "--version", "v0.30.0-rc1")
    assert found.returncode == 0, found.stderr
    assert "git push origin origin/master:refs/heads/release-v0.30.0" in found.stdout
    assert "```sh" in found.stdout


def test_bad_version_exits_2_naming_the_accepted_forms() -> None:
    found = cockpit("plan", "--version", "banana")
    assert found.returncode == 2
    assert "vX.Y.Z" in found.stderr and "vX.Y.Z-rcN" in found.stderr
    assert "Traceback" not in found.stderr


def test_broken_playbook_exits_2_with_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text((DATA / "git-release.toml").read_text().replace("summary =", "sumary =", 1))
    found = cockpit("plan", "--playbook", str(broken), "--version", "v1.0.0")
    assert found.returncode == 2
    assert f"{broken}:" in found.stderr and "'sumary'" in found.stderr
    assert "Traceback" not in found.stderr


def test_a_template_naming_an_unknown_value_makes_explain_and_plan_exit_2(tmp_path: Path
                                                                        ) -> None:
    broken = tmp_path / "broken.toml"
    text = (DATA / "git-release.toml").read_text()
    broken.write_text(text.replace('ref = "{version_branch}"', 'ref = "{version.tga}"'))
    line = next(n for n, one in enumerate(broken.read_text().splitlines(), 1) if "tga" in one)
    for args in (("explain",), ("explain", "tag"), ("plan", "--version", "v1.0.0")):
        found = cockpit(*args, "--playbook", str(broken))
        assert found.returncode == 2, (args, found.stdout, found.stderr)
        assert f"{broken}:{line}: stage 'tag' / action 'tag': field 'params.ref': unknown " \
            "template value {version.tga}" in found.stderr
        assert "did you mean {version.tag}?" in found.stderr and "Traceback" not in found.stderr


def test_unknown_stage_and_bad_answers_file_exit_2(tmp_path: Path) -> None:
    assert cockpit("run", "nope", "--playbook", SMALL, "--version", "v1.0.0",
                   "--yes").returncode == 2
    answers = tmp_path / "answers.toml"
    answers.write_text("this is = = not toml")
    found = cockpit("run", "tag", "--playbook", SMALL, "--version", "v1.0.0", "--answers",
                    str(answers))
    assert found.returncode == 2 and "answers.toml" in found.stderr


def test_run_then_status_against_a_real_remote(tmp_path: Path) -> None:
    remote = make_remote(tmp_path / "remotes")
    env = {"COCKPIT_GIT_BASE_URL": (tmp_path / "remotes").as_uri()}
    plan = cockpit("plan", "--playbook", SMALL, "--version", "v1.0.0-rc1", env=env)
    assert "announce: skipped" in plan.stdout

    answers = tmp_path / "answers.toml"
    answers.write_text('"tag/tag/confirm" = true\n')
    for stage in ("prepare-branch", "tag"):
        found = cockpit("run", stage, "--playbook", SMALL, "--version", "v1.0.0-rc1",
                        "--answers", str(answers), env=env)
        assert found.returncode == 0, found.stdout + found.stderr
    assert refs(remote, "refs/tags") == ["refs/tags/v1.0.0-rc1"]

    status = cockpit("status", "--playbook", SMALL, "--version", "v1.0.0-rc1", "--json",
                     env=env)
    assert status.returncode == 0, status.stdout + status.stderr
    rows = json.loads(status.stdout)["actions"]
    assert {(r["stage"], r["action"], r["state"], r["status"], r["journal"]) for r in rows} == {
        ("prepare-branch", "create-branch", "done", "done", "done"),
        ("prepare-branch", "set-version", "done", "done", "done"),
        ("tag", "tag", "done", "done", "done"),
        ("announce", "tweet", "not applicable", None, None),  # FINAL only: never checked
    }
    text = cockpit("status", "--playbook", SMALL, "--release", "v1.0.0-rc1", env=env)
    assert text.returncode == 0, text.stdout + text.stderr
    assert text.stdout.splitlines()[0] == "2/2 stages done: the release is complete"
    assert "· 3. Announce — not applicable" in text.stdout


def test_run_without_an_answer_exits_1_and_says_how_to_resume(tmp_path: Path) -> None:
    make_remote(tmp_path / "remotes")
    env = {"COCKPIT_GIT_BASE_URL": (tmp_path / "remotes").as_uri()}
    assert cockpit("run", "prepare-branch", "--playbook", SMALL, "--version", "v1.0.0",
                   env=env).returncode == 0
    found = cockpit("run", "tag", "--playbook", SMALL, "--release", "v1.0.0", env=env)
    assert found.returncode == 1
    # The hint names the playbook: pasted without it, it would run the built-in one's "tag".
    assert f"`cockpit run tag --release v1.0.0 --playbook {SMALL}`" in found.stderr


def test_every_command_but_the_tui_runs_with_the_collector_on() -> None:
    """``screens.main`` pauses garbage collection for the start-up imports only."""
    code = ("import gc, sys; from cockpit import cli;"
            "cli.resume_collection = lambda f=cli.resume_collection: (f(), print(gc.isenabled()));"
            "from screens.main import main; sys.argv = ['cockpit', 'explain']; main()")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120, check=False)
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[0] == "True"


def test_version_is_answered_without_importing_the_command_line() -> None:
    code = ("import sys; sys.argv = ['cockpit', '--version']; from screens.main import main;"
            "main(); print('cockpit.cli' in sys.modules, 'pydantic' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60, check=True)
    argparse_answer = subprocess.run([sys.executable, "-m", "cockpit.cli", "--version"],
                                     capture_output=True, text=True, timeout=60, check=True)
    assert found.stdout.splitlines() == [argparse_answer.stdout.strip(), "False False"]


def test_unknown_names_exit_2_before_any_request_with_the_closest_name(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sandbox:
        for args, closest in [(("run", "nosuchstage"), None),
                              (("run", "prepare-brnch"), "'prepare-branch'"),
                              (("run", "tag/tag"), "'tag'"),
                              (("explain", "prepare-branch/set-vers"), "'set-version'"),
                              (("status", "--json", "--playbook", "nope.toml"), None)]:
            found = cockpit(*args, "--release", "v0.30.0-rc1", env=sandbox.env)
            assert found.returncode == 2, found.stderr
            assert "Traceback" not in found.stderr
            assert closest is None or f"did you mean {closest}" in found.stderr, found.stderr
            assert sandbox.requests() == [], f"{args} asked the network first"
        # The same environment does reach the sandbox once the names are right.
        assert cockpit("status", "--release", "v0.30.0-rc1", "--json",
                       env=sandbox.env).returncode in (0, 1)
        assert sandbox.requests()


def test_release_is_one_flag_everywhere_and_version_a_hidden_alias() -> None:
    demo = cockpit("demo", "--help")
    assert "--release V" in demo.stdout and "v0.30.0-rc1" in demo.stdout
    assert "--version" not in demo.stdout
    for verb in ("explain", "plan", "status", "run", "doctor"):
        assert "--release" in cockpit(verb, "--help").stdout, verb
    by_alias = cockpit("plan", "--playbook", SMALL, "--version", "v1.0.0-rc1")
    by_flag = cockpit("plan", "--playbook", SMALL, "--release", "v1.0.0-rc1")
    before_verb = cockpit("--release", "v1.0.0-rc1", "plan", "--playbook", SMALL)
    assert by_flag.returncode == 0 and "v1.0.0-rc1" in by_flag.stdout, by_flag.stderr
    assert by_alias.stdout == by_flag.stdout == before_verb.stdout
    missing = cockpit("plan")
    assert missing.returncode == 2 and "--release" in missing.stderr


def test_plan_ends_with_the_points_of_no_return_of_that_release() -> None:
    found = {v: cockpit("plan", "--release", v) for v in ("v0.30.0-rc1", "v0.30.0", "v0.30.1")}
    for version, run in found.items():
        assert run.returncode == 0, run.stderr
        tail = run.stdout.split("Points of no return", 1)[1]
        assert f"tag/tag-{'rc' if 'rc' in version else 'final'}: Tag {version}" in tail
        assert "publish-to-npm/npm-dispatch" in tail and "promote/discourse-topic" in tail
    assert "promote/reddit" in found["v0.30.0"].stdout
    assert "promote/reddit" not in found["v0.30.1"].stdout  # FINAL, not PATCH
    assert "promote/reddit" not in found["v0.30.0-rc1"].stdout


def test_export_markdown_to_a_file_and_its_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "checklist.md"
    found = cockpit("export", "--markdown", "-o", str(out))
    assert found.returncode == 0, found.stderr
    text = out.read_text()
    assert text.startswith("# Kubo release\n") and "- [ ] ⚠️ **RC** Tag vX.Y.Z-rcN" in text
    assert f"wrote {out}" in found.stderr
    assert cockpit("export", "--markdown", "--release", "banana").returncode == 2
    assert cockpit("export").returncode == 2  # the format is said, never guessed


def test_explain_says_each_actions_class_and_what_it_means_for_a_rerun() -> None:
    stage = cockpit("explain", "publish-to-github")
    assert stage.returncode == 0, stage.stderr
    blocks = {block.split(" ", 1)[0]: block for block in stage.stdout.split("\n## ")[1:]}
    assert "Reversibility: **irreversible** — a point of no return" in \
        blocks["publish-to-github/publish-rc"]
    assert "Reversibility: **reversible** (declared by the playbook)" in \
        blocks["publish-to-github/release-rc"]  # a draft: github.release says irreversible
    assert "Reversibility: **reversible** — a check: it changes nothing." in \
        blocks["publish-to-github/release-body-links"]
    assert "Reversibility: **hard to reverse** — " in blocks["publish-to-github/assets-dispatch"]
