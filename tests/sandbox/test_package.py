"""The sandbox ships in the cockpit package (``cockpit demo`` runs on it), so none of its
modules may need the ``test`` extra: a plain ``pip install`` has no openapi-core,
werkzeug, pytest or hypothesis."""

from __future__ import annotations

import subprocess
import sys

TEST_ONLY = ("openapi_core", "werkzeug", "pytest", "hypothesis")

IMPORT_ALL = f"""
import importlib, pkgutil, sys

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {TEST_ONLY!r}:
            raise ImportError(f"test-only dependency imported: {{name}}")
        return None

sys.meta_path.insert(0, Blocked())
import cockpit.sandbox
names = [m.name for m in pkgutil.walk_packages(cockpit.sandbox.__path__, "cockpit.sandbox.")
         if not m.name.endswith(".__main__")]  # that one serves a sandbox when imported
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_every_sandbox_module_imports_without_the_test_extra() -> None:
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 30  # every module was walked, not an empty package
