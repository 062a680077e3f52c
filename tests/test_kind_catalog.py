"""The kind catalog is the index of where each kind lives and is tested: it must be true.

It also lets the cockpit import a kind only when it is used.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cockpit.actions import REGISTRY, load_kinds
from cockpit.actions.catalog import BUILT_IN, kind_test_file, module_of

ROOT = Path(__file__).parents[1]


def test_catalog_names_exactly_the_kinds_each_module_registers() -> None:
    load_kinds()
    registered = {name: info.implementation.__module__
                  for name, info in REGISTRY.kinds.items()
                  if info.implementation is not None and info.implementation.__module__
                  .startswith("cockpit.actions.")}
    catalogued = {name: module_of(name) for name in BUILT_IN}
    assert catalogued == registered


def test_asking_for_one_kind_imports_only_its_module() -> None:
    code = ("import sys; from cockpit.actions import REGISTRY;"
            "info = REGISTRY.get('git.tag'); assert info and info.implemented;"
            "assert REGISTRY.is_implemented('github.release');"
            "print('\\n'.join(m for m in sys.modules if m.startswith('cockpit.actions.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    imported = set(done.stdout.split())
    assert "cockpit.actions.git" in imported
    assert "cockpit.actions.github_releases" not in imported
    assert "cockpit.actions.preflight" not in imported


def test_unknown_names_are_neither_found_nor_implemented() -> None:
    assert REGISTRY.get("git.tagg") is None
    assert not REGISTRY.is_implemented("git.tagg")


def test_every_kind_module_has_the_test_file_named_after_it() -> None:
    missing = {kind: kind_test_file(kind) for kind in BUILT_IN
               if not (ROOT / str(kind_test_file(kind))).is_file()}
    assert not missing


def test_every_kind_test_file_is_named_after_a_kind_module() -> None:
    modules = set(BUILT_IN.values())
    named = {path.stem.removeprefix("test_") for path in (ROOT / "tests" / "kinds").glob("test_*.py")}
    assert named - modules == set()
