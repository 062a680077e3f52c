"""The core never loads the UI: each module of ``cockpit`` imports without textual or screens.

The core runs in CI, in shadows and in scripts. import-linter (pyproject.toml) checks the
import statements; this test checks what importing a module really loads (an import made
at import time by a function, a plugin, a side effect). Each module is imported in a
process of its own, so a failure names the module that pulls the UI in. The processes
are forks of one interpreter that has loaded the third-party libraries (never textual),
so the ~100 imports cost seconds rather than a minute of interpreter start-ups.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "cockpit"

LIBRARIES = ("asyncio", "pydantic", "pydantic_settings", "httpx", "git", "yaml", "rich",
             "platformdirs", "keyring", "starlette", "uvicorn", "graphql", "psycopg")
"""Loaded once, before the forks: the dependencies most core modules share."""

PROBE = r"""
import importlib, json, os, sys

def ui():  # screens' modules by name, textual's as one (it is ~150)
    found = {m for m in sys.modules if m == "screens" or m.startswith("screens.")}
    return sorted(found | ({"textual"} if "textual" in sys.modules else set()))

for library in sys.argv[1].split(","):
    importlib.import_module(library)
results = {"": ui()}  # what the forks start with
for module in sys.argv[2:]:
    read, write = os.pipe()
    if os.fork() == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            found = {"ui": ui()}
        except BaseException as exc:
            found = {"error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write, "w") as out:
            json.dump(found, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        results[module] = json.loads(answer.read() or '{"error": "the child died"}')
    os.wait()
print(json.dumps(results))
"""


def core_modules() -> list[str]:
    """Every module of the core, from the file tree (``__main__`` modules run on import)."""
    names = []
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = core_modules()


@pytest.fixture(scope="module")
def loaded() -> dict[str, dict[str, list[str] | str]]:
    """Per module: the UI modules its import loaded (``ui``), or why it failed (``error``)."""
    done = subprocess.run([sys.executable, "-c", PROBE, ",".join(LIBRARIES), *MODULES],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    results: dict[str, dict[str, list[str] | str]] = json.loads(done.stdout)
    assert results.pop("") == [], "a third-party library loaded textual before the forks"
    return results


def test_every_module_is_probed() -> None:
    assert len(MODULES) > 50
    assert "cockpit" in MODULES
    assert "cockpit.cli" in MODULES
    assert "cockpit.actions.base" in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_core_module_does_not_load_the_ui(
        module: str, loaded: dict[str, dict[str, list[str] | str]]) -> None:
    found = loaded[module]
    assert "error" not in found, f"import {module} failed: {found['error']}"
    assert found["ui"] == [], f"import {module} loads the UI: {', '.join(found['ui'])}"


def test_the_console_script_loads_no_ui_for_a_headless_verb() -> None:
    """``screens.main`` hands the TUI launchers to the core without loading them: a headless
    verb (here ``explain``) pays for no textual import."""
    code = (
        "import contextlib, io, sys\n"
        "sys.argv = ['cockpit', 'explain']\n"
        "from screens.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main()\n"
        "print(code, 'textual' in sys.modules, 'screens.app' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.stdout.split() == ["0", "False", "False"], done.stdout + done.stderr
