"""Bad input never crashes the cockpit nor changes the world: exit 2 and a message.

Property-based (hypothesis): version strings, random mutations of the built-in
playbook, answers files, settings from the environment. Each is fed to the real CLI
in this process; any exception escaping ``main`` is a traceback a driver would see,
and fails the test. Where the verb could mutate (``run``), it points at a sandbox and
the sandbox's request log must show no mutating request.
"""

from __future__ import annotations

import json
import re
import tempfile
from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from cockpit.model import Version, VersionError
from cockpit.prompts import AnswersFileError, AnswersPrompter
from cockpit.sandbox.testing import SandboxHandle
from tests.reliability.conftest import PROFILE, TRIED, run_cli
from tests.reliability.release_runner import scoped_env

VERSION = "v0.30.0-rc1"
KUBO_TOML = resources.files("cockpit.playbooks").joinpath("kubo.toml").read_text("utf-8")


def pointed_at(sb: SandboxHandle, **extra: str) -> AbstractContextManager[None]:
    """The environment of a cockpit driving ``sb`` (restored afterwards)."""
    return scoped_env({**sb.env, **extra})


def _mutations(sb: SandboxHandle) -> int:
    return len(sb.requests(mutating=True))


def assert_bad_input(result_err: str, code: int, *names: str) -> None:
    assert code == 2, f"exit {code}, expected 2 (bad input):\n{result_err}"
    assert "Traceback" not in result_err
    text = result_err.strip()
    assert text, "exit 2 without a message"
    for name in names:
        assert name in text, f"the message does not name {name!r}:\n{text}"


# -- versions -------------------------------------------------------------------------

near_versions = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"v?[0-9]{1,4}(\.[0-9]{0,3}){0,3}(-?(rc|RC|beta|)[0-9]{0,3})?\s?", fullmatch=True),
    st.builds(lambda a, b, c, rc: f"v{a}.{b}.{c}" + (f"-rc{rc}" if rc is not None else ""),
              st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6),
              st.none() | st.integers(-1, 10**3)),
)


@PROFILE
@given(text=near_versions)
def test_version_strings(text: str) -> None:
    TRIED["version strings"] += 1
    try:
        Version.parse(text)
        valid = True
    except VersionError:
        valid = False
    result = run_cli("plan", f"--version={text}")
    if valid:
        assert result.code == 0, result.err
        return
    expected = "--release is required" if text == "" else "is not a release version"
    assert_bad_input(result.err, result.code, expected)


@PROFILE
@given(text=near_versions.filter(lambda t: not re.fullmatch(r"\s*v\d+\.\d+\.\d+(-rc\d+)?\s*", t)))
def test_bad_version_on_run_mutates_nothing(text: str, module_sandbox: SandboxHandle) -> None:
    TRIED["version strings"] += 1
    before = _mutations(module_sandbox)
    with pointed_at(module_sandbox):
        result = run_cli("run", "preflight", f"--version={text}", "--yes")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert _mutations(module_sandbox) == before


# -- playbooks: random mutations of the built-in one -------------------------------------

TOML_VALUES = st.one_of(
    st.integers(-5, 5).map(str), st.sampled_from(["true", "false", "[]", "{}", '""', "[1, 2]",
                                                  '"x"', '"{nope}"', "1.5", '"no-such-kind"']),
    st.text(max_size=12).map(json.dumps),
)


@st.composite
def mutated_playbook(draw: st.DrawFn) -> str:
    lines = KUBO_TOML.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "insert",
                                   "value", "truncate"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "replace":
            lines[i] = draw(st.text(max_size=40))
        elif op == "insert":
            lines.insert(i, draw(st.sampled_from(["[[stages]]", "[[stages.actions]]", "x = 1",
                                                  "[stages]", "kind = 7", 'id = "Bad Id"'])))
        elif op == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(TOML_VALUES)}"
        elif op == "truncate":
            cut = draw(st.integers(0, max(0, len(lines[i]))))
            lines = [*lines[:i], lines[i][:cut]]
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


@PROFILE
@given(text=mutated_playbook())
def test_mutated_playbooks(text: str, module_sandbox: SandboxHandle) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutant.toml"
        path.write_text(text, encoding="utf-8")
        result = run_cli("plan", "--playbook", str(path), "--version", VERSION)
        assume(result.code != 0)  # some mutations leave a valid playbook
        TRIED["playbook mutations"] += 1
        assert_bad_input(result.err, result.code, "mutant.toml")
        assert re.search(r"mutant\.toml(:\d+)?: ", result.err), result.err
        before = _mutations(module_sandbox)
        with pointed_at(module_sandbox):
            run = run_cli("run", "preflight", "--playbook", str(path), "--version", VERSION,
                          "--yes")
        assert_bad_input(run.err, run.code, "mutant.toml")
        assert _mutations(module_sandbox) == before


# -- answers files ------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=6)


@st.composite
def answers_file(draw: st.DrawFn) -> tuple[str, str]:
    """(suffix, content): random text, or JSON/TOML-ish tables of wrong-typed answers."""
    kind = draw(st.sampled_from(["text-toml", "text-json", "json"]))
    if kind == "json":
        data = draw(st.dictionaries(st.sampled_from(
            ["preflight/tool-go/failed", "tag/tag/confirm", "staging/staging-outcome/outcome",
             "a*", "x"]), JSON_VALUES, min_size=1, max_size=4) | JSON_VALUES)
        return ".json", json.dumps(data)
    return (".toml" if kind == "text-toml" else ".json"), draw(st.text(max_size=200))


@PROFILE
@given(spec=answers_file())
def test_answers_files(spec: tuple[str, str], module_sandbox: SandboxHandle) -> None:
    suffix, content = spec
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"answers{suffix}"
        path.write_text(content, encoding="utf-8")
        try:
            AnswersPrompter.from_file(path)
        except AnswersFileError:
            pass
        else:
            assume(False)  # a valid answers file: running it is the e2e suites' job
        TRIED["answers files"] += 1
        before = _mutations(module_sandbox)
        with pointed_at(module_sandbox):
            result = run_cli("run", "preflight", "--version", VERSION, "--yes",
                             "--answers", str(path))
        assert_bad_input(result.err, result.code, path.name)
        assert _mutations(module_sandbox) == before


def test_missing_answers_file_is_bad_input(tmp_path: Path) -> None:
    result = run_cli("run", "preflight", "--version", VERSION, "--answers",
                     str(tmp_path / "nope.toml"))
    assert_bad_input(result.err, result.code, "nope.toml", "cannot read")


# -- settings from the environment ----------------------------------------------------------

NUMERIC_SETTINGS = ["COCKPIT_POLL_INITIAL_SECONDS", "COCKPIT_POLL_MAX_SECONDS",
                    "COCKPIT_POLL_TIMEOUT_SECONDS", "COCKPIT_HTTP_TIMEOUT_SECONDS",
                    "COCKPIT_HTTP_RETRY_BASE_SECONDS"]


def _verdict(text: str) -> int | None:
    """0 for a plain positive finite number, 2 for what is no usable duration, None for
    forms where refusing and accepting are both fine (control characters around digits,
    which Python's float() strips and pydantic does not)."""
    if re.fullmatch(r"[0-9]+(\.[0-9]*)?", text) and 0 < float(text) < float("inf"):
        return 0
    try:
        value = float(text)
    except ValueError:
        return 2
    return 2 if not 0 < value < float("inf") else None


@PROFILE
@given(name=st.sampled_from(NUMERIC_SETTINGS),
       value=st.text(max_size=12) | st.sampled_from(["-1", "0", "nan", "inf", "1e999", "2", ""]))
def test_settings_from_environment(name: str, value: str, module_sandbox: SandboxHandle) -> None:
    TRIED["settings values"] += 1
    assume("\x00" not in value)
    before = _mutations(module_sandbox)
    with pointed_at(module_sandbox, **{name: value}):
        result = run_cli("plan", "--version", VERSION)
        expected = _verdict(value)
        if expected == 0 or (expected is None and result.code == 0):
            assert result.code == 0, result.err
            return
        assert_bad_input(result.err, result.code, name)
        run = run_cli("run", "preflight", "--version", VERSION, "--yes")
    assert_bad_input(run.err, run.code, name)
    assert _mutations(module_sandbox) == before
