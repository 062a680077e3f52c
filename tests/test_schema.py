"""`cockpit schema` and `cockpit kinds`: the playbook format from its models, as an editor and
a playbook author see it. The schema is checked with a maintained validator (jsonschema,
draft 7, as taplo reads it) against the built-in playbook and against broken copies."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest


def cockpit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "screens.main", *args], capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What `cockpit schema -o FILE` writes (the console script, as a user runs it)."""
    out = tmp_path_factory.mktemp("schema") / "playbook.schema.json"
    found = cockpit("schema", "-o", str(out))
    assert found.returncode == 0, found.stderr
    assert f"#:schema {out}" in found.stderr
    written: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(written)
    return written


@pytest.fixture(scope="module")
def kubo() -> dict[str, Any]:
    """The built-in playbook as the JSON an editor validates (TOML → JSON)."""
    text = resources.files("cockpit.playbooks").joinpath("kubo.toml").read_text(encoding="utf-8")
    return json.loads(json.dumps(tomllib.loads(text)))


def _errors(schema: dict[str, Any], document: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    validator = jsonschema.Draft7Validator(schema)
    return sorted((e.message, list(e.absolute_path)) for e in validator.iter_errors(document))


def _action(playbook: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(a for s in playbook["stages"] for a in s["actions"] if a["kind"] == kind)


@pytest.mark.parametrize("name", ["kubo", "widgets"])
def test_the_built_in_playbooks_are_valid(schema: dict[str, Any], name: str) -> None:
    text = resources.files("cockpit.playbooks").joinpath(f"{name}.toml").read_text(
        encoding="utf-8")
    assert _errors(schema, json.loads(json.dumps(tomllib.loads(text)))) == []


def test_a_typoed_key_is_rejected_where_it_is(schema: dict[str, Any],
                                              kubo: dict[str, Any]) -> None:
    broken = copy.deepcopy(kubo)
    action = _action(broken, "discourse.pin")
    action["params"]["titel"] = action["params"].pop("title")
    broken["stages"][0]["sumary"] = "typo"
    problems = _errors(schema, broken)
    messages = [m for m, _ in problems]
    assert any("'titel' was unexpected" in m for m in messages), problems
    assert any("'title' is a required property" in m for m in messages), problems
    assert any("'sumary' was unexpected" in m for m in messages), problems


def test_a_wrong_param_type_is_rejected_for_its_kind(schema: dict[str, Any],
                                                     kubo: dict[str, Any]) -> None:
    broken = copy.deepcopy(kubo)
    _action(broken, "discourse.pin")["params"]["globally"] = "yes"
    _action(broken, "preflight.token")["params"]["service"] = "gitlab"
    problems = _errors(schema, broken)
    assert any(m == "'yes' is not of type 'boolean'" and path[-1] == "globally"
               for m, path in problems), problems
    assert any("'gitlab' is not one of" in m for m, _ in problems), problems


def test_params_are_checked_against_their_own_kind(schema: dict[str, Any],
                                                    kubo: dict[str, Any]) -> None:
    """The same params under another kind are wrong: the discriminator is the kind."""
    broken = copy.deepcopy(kubo)
    _action(broken, "discourse.pin")["kind"] = "discourse.unpin"
    assert any("'globally'" in m and "unexpected" in m for m, _ in _errors(schema, broken))
    _action(broken, "discourse.unpin")["kind"] = "discourse.pinn"
    assert any("'discourse.pinn' is not one of" in m for m, _ in _errors(schema, broken))


def test_descriptions_come_from_the_docstrings(schema: dict[str, Any]) -> None:
    fields = schema["$defs"]["ManualParams"]["properties"]
    assert fields["copy_text"]["description"] == "Text to paste verbatim (a post, a message)."


def test_schema_goes_to_stdout() -> None:
    found = cockpit("schema")
    assert found.returncode == 0 and json.loads(found.stdout)["title"] == "cockpit playbook"


def test_kinds_lists_every_kind_once_with_its_shape() -> None:
    found = cockpit("kinds")
    assert found.returncode == 0, found.stderr
    rows = [line.split(None, 2) for line in found.stdout.splitlines()[:-2]]
    assert {row[1] for row in rows} == {"Step", "Verify", "Wait"}
    names = [row[0] for row in rows]
    assert len(names) == len(set(names)) and "github.pull" in names
    assert ["discourse.pin", "Step", "Pin a Discourse topic found by its exact title"] in rows


def test_kinds_documents_one_kind_from_its_model() -> None:
    found = cockpit("kinds", "manual")
    assert found.returncode == 0, found.stderr
    text = found.stdout
    assert "Code: `cockpit/actions/manual.py:" in text and "(`ManualStep`)" in text
    assert "Test: `tests/kinds/test_manual.py`" in text
    row = next(line.split() for line in text.splitlines() if line.split()[:1] == ["copy_text"])
    assert row[:4] == ["copy_text", "str", '""', "no"]
    assert " ".join(row[4:]) == "Text to paste verbatim (a post, a message)."
    required = next(line.split() for line in text.splitlines()
                    if line.split()[:1] == ["instructions"])
    assert required[:3] == ["instructions", "str", "yes"]


def test_an_unknown_kind_names_the_nearest(tmp_path: Path) -> None:
    found = cockpit("kinds", "discourse.pinn")
    assert found.returncode == 2 and found.stdout == ""
    assert found.stderr.strip() == ("cockpit: no kind 'discourse.pinn'; nearest: discourse.pin, "
                                    "discourse.unpin, discourse.topic")


def test_when_is_a_list_or_one_expression(schema: dict[str, Any], kubo: dict[str, Any]) -> None:
    playbook = copy.deepcopy(kubo)
    _action(playbook, "discourse.pin")["when"] = "version.is_rc or vars.repo == 'ipfs/kubo'"
    playbook["stages"][0]["when"] = ["not PATCH"]
    assert _errors(schema, playbook) == []
    _action(playbook, "discourse.pin")["when"] = 3
    assert _errors(schema, playbook)
