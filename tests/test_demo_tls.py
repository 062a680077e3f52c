"""``cockpit demo --tls``: the demo's cockpit talks HTTPS to its sandbox, and the lines it
prints point ``gh`` there from another terminal."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from cockpit.demo import demo_environment, gh_exports
from tests.gh_setup import GH


def test_the_demo_over_https_trusts_its_ca_and_says_how_gh_does(tmp_path: Path) -> None:
    before = os.environ.get("SSL_CERT_FILE")
    with demo_environment(tmp_path, tls=True) as demo:
        assert demo.base_url.startswith("https://")
        ca = str(tmp_path / "sandbox" / "tls" / "ca.pem")
        assert os.environ["SSL_CERT_FILE"] == ca  # what the demo's cockpit (httpx) reads
        assert os.environ["COCKPIT_GITHUB_API_URL"] == demo.base_url + "/api/v3"
        lines = gh_exports(demo)
        exports = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1)
                       for line in lines if line.startswith("export "))
        assert exports["GH_HOST"] == demo.base_url.removeprefix("https://")
        assert exports["SSL_CERT_FILE"] == exports["GIT_SSL_CAINFO"] == ca
        if GH is None:
            pytest.skip("gh is not installed")
        home = tmp_path / "gh"
        who = subprocess.run([GH, "api", "user", "--jq", ".login"], capture_output=True,
                             text=True, timeout=30,
                             env={"PATH": os.environ["PATH"], "HOME": str(home),
                                  "GH_CONFIG_DIR": str(home), **exports})
        assert who.stdout == "release-driver\n", who.stderr
    assert os.environ.get("SSL_CERT_FILE") == before
