"""No link printed by an action or the sync code names github.com itself.

Every GitHub page the cockpit shows comes from the configured web URL
(``Settings.git_base_url``, through ``settings.github_link`` or the playbook's
``{github_url}``), so a sandbox's or an Enterprise server's links stay there. Docstrings
may describe github.com for humans; code strings may not, except the one Go module path
listed below, which is a name in Kubo's changelog, not a link.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[1] / "cockpit"
SCANNED = [ROOT / "actions", ROOT / "sync"]
GITHUB = re.compile(r"(?<![\w.-])(?:https?://)?(?:www\.)?github\.com\b")
NOT_LINKS = {("changelog.py", "- github.com/")}
"""Kubo's "Full Changelog" lists Go modules by their module path (``github.com/ipfs/kubo``),
as its release tool mkreleaselog does: a module's name, not a page."""


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants standing alone as statements (docstrings)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def hard_coded_links(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in skip and GITHUB.search(node.value)
                and not any(name == file and part in node.value for file, part in NOT_LINKS)):
            found.append(f"{name}:{node.lineno}: {node.value!r}")
    return sorted(found)


def test_no_action_or_sync_code_hard_codes_github_com() -> None:
    files = sorted(path for folder in SCANNED for path in folder.rglob("*.py"))
    assert len(files) > 10
    found = [hit for path in files for hit in hard_coded_links(path.read_text(), path.name)]
    assert found == []


def test_the_scan_finds_a_hard_coded_link_but_not_a_docstring() -> None:
    source = ('"""Links to https://github.com/ipfs/kubo for humans."""\n'
              'def f(repo: str) -> str:\n'
              '    """See github.com."""\n'
              '    return f"https://github.com/{repo}/releases"\n'
              'PLAIN = "see github.com/ipfs/kubo"\n'
              'OK = "https://api.github.company.example/x"\n')
    assert hard_coded_links(source, "x.py") == [
        "x.py:4: 'https://github.com/'", "x.py:5: 'see github.com/ipfs/kubo'"]
