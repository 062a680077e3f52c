"""The real GitHub CLI (Debian's gh 2.23) against the sandbox over HTTPS: the issue, pr,
repo, release and label commands whose reads and writes are GraphQL, each with the
output a real GitHub gives and its effect visible through REST and git.

The session's ``tls_sandbox`` is shared with other modules: every test here makes
names of its own and looks only at what it made (or at the seeded world)."""

from __future__ import annotations

import base64
import json
import ssl
import time
from pathlib import Path
from typing import Any

import httpx

from cockpit.sandbox.testing import SandboxHandle
from tests.gh_setup import needs_gh, run_gh

pytestmark = needs_gh
K = "/repos/ipfs/kubo"


def repo_arg(sb: SandboxHandle) -> list[str]:
    host = httpx.URL(sb.base_url).netloc.decode()
    return ["-R", f"{host}/ipfs/kubo"]


def gh(sb: SandboxHandle, *args: str) -> str:
    return run_gh(sb, *args, *repo_arg(sb)).stdout


def rest(sb: SandboxHandle, method: str, path: str, **kwargs: Any) -> Any:
    answer = httpx.request(method, sb.api_url + path, timeout=30,
                           verify=ssl.create_default_context(
                               cafile=sb.sandbox.client_env()["SSL_CERT_FILE"]),
                           headers={"Authorization": f"Bearer {sb.admin_token}"}, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def _branch_with_a_commit(sb: SandboxHandle, branch: str) -> str:
    master = rest(sb, "GET", K + "/commits/master")["sha"]
    rest(sb, "POST", K + "/git/refs", json={"ref": f"refs/heads/{branch}", "sha": master})
    rest(sb, "PUT", K + f"/contents/{branch}.md", json={
        "message": f"{branch}: the change", "branch": branch,
        "content": base64.b64encode(f"{branch}\n".encode()).decode()})
    return str(master)


def test_issue_create_list_view_and_comment(tls_sandbox: SandboxHandle) -> None:
    sb = tls_sandbox
    url = gh(sb, "issue", "create", "--title", "gh: the daemon crashes",
             "--body", "Steps to reproduce.", "--label", "kind/bug").strip()
    number = int(url.rsplit("/", 1)[1])
    made = rest(sb, "GET", K + f"/issues/{number}")
    assert url == made["html_url"]
    assert (made["title"], made["body"], made["user"]["login"]) == (
        "gh: the daemon crashes", "Steps to reproduce.", "release-driver")
    assert [x["name"] for x in made["labels"]] == ["kind/bug"]

    rows = gh(sb, "issue", "list").splitlines()
    row = next(r for r in rows if r.startswith(f"{number}\t"))
    assert row.split("\t")[:4] == [str(number), "OPEN", "gh: the daemon crashes", "kind/bug"]
    labelled = gh(sb, "issue", "list", "--label", "kind/bug", "--state", "all")  # a search
    assert row in labelled.splitlines()
    assert all("kind/bug" in r.split("\t")[3] for r in labelled.splitlines())

    assert gh(sb, "issue", "view", str(number)) == (
        "title:\tgh: the daemon crashes\nstate:\tOPEN\nauthor:\trelease-driver\n"
        "labels:\tkind/bug\ncomments:\t0\nassignees:\t\nprojects:\t\nmilestone:\t\n"
        f"number:\t{number}\n--\nSteps to reproduce.\n")

    comment_url = gh(sb, "issue", "comment", str(number), "--body", "Seen here too.").strip()
    comments = rest(sb, "GET", K + f"/issues/{number}/comments")
    assert [(c["body"], c["html_url"]) for c in comments] == [("Seen here too.", comment_url)]
    viewed = json.loads(gh(sb, "issue", "view", str(number), "--json",
                           "comments,state,number,labels,url"))
    assert viewed["comments"][0]["body"] == "Seen here too."
    assert viewed["comments"][0]["author"]["login"] == "release-driver"
    assert (viewed["state"], viewed["number"], viewed["url"]) == ("OPEN", number, url)


def _wait_for_checks(sb: SandboxHandle, number: int) -> str:
    """``gh pr checks`` once every check is done (gh 2.23 exits 1 while one is pending,
    as it does when one failed)."""
    deadline = time.monotonic() + 30
    while True:
        done = run_gh(sb, "pr", "checks", str(number), *repo_arg(sb), check=False)
        pending = "\tpending\t" in done.stdout
        if not pending or time.monotonic() > deadline:
            assert done.returncode == 0, done.stderr + done.stdout
            return done.stdout
        time.sleep(0.3)


def test_pr_create_list_view_checks_and_merge(tls_sandbox: SandboxHandle) -> None:
    sb = tls_sandbox
    base = _branch_with_a_commit(sb, "gh-pr-flow")
    url = gh(sb, "pr", "create", "--head", "gh-pr-flow", "--base", "master",
             "--title", "gh: a pull request", "--body", "Made by gh.").strip()
    number = int(url.rsplit("/", 1)[1])
    pull = rest(sb, "GET", K + f"/pulls/{number}")
    assert (pull["html_url"], pull["title"], pull["body"], pull["head"]["ref"]) == (
        url, "gh: a pull request", "Made by gh.", "gh-pr-flow")

    rows = gh(sb, "pr", "list").splitlines()
    row = next(r for r in rows if r.startswith(f"{number}\t"))
    assert row.split("\t")[:4] == [str(number), "gh: a pull request", "gh-pr-flow", "OPEN"]

    viewed = json.loads(gh(sb, "pr", "view", str(number), "--json",
                           "number,title,state,isDraft,headRefName,baseRefName,headRefOid,"
                           "mergeable,author,files,commits,url,additions,changedFiles"))
    assert {k: viewed[k] for k in ("number", "title", "state", "isDraft", "headRefName",
                                   "baseRefName", "headRefOid", "mergeable", "url")} == {
        "number": number, "title": "gh: a pull request", "state": "OPEN", "isDraft": False,
        "headRefName": "gh-pr-flow", "baseRefName": "master",
        "headRefOid": pull["head"]["sha"], "mergeable": "MERGEABLE", "url": url}
    assert viewed["author"]["login"] == "release-driver"
    assert viewed["files"] == [{"path": "gh-pr-flow.md", "additions": 1, "deletions": 0}]
    assert [c["messageHeadline"] for c in viewed["commits"]] == ["gh-pr-flow: the change"]
    assert (viewed["additions"], viewed["changedFiles"]) == (1, 1)
    view = gh(sb, "pr", "view", str(number))
    assert view.startswith("title:\tgh: a pull request\nstate:\tOPEN\n"
                           "author:\trelease-driver\n")
    assert f"number:\t{number}\nurl:\t{url}\nadditions:\t1\ndeletions:\t0\n--\nMade by gh.\n" \
        in view

    runs = [r for r in rest(sb, "GET", K + f"/commits/{pull['head']['sha']}/check-runs")
            ["check_runs"]]
    checks = _wait_for_checks(sb, number)
    assert sorted(line.split("\t")[0] for line in checks.splitlines()) == \
        sorted(r["name"] for r in runs)
    assert all(line.split("\t")[1] == "pass" for line in checks.splitlines())

    gh(sb, "pr", "merge", str(number), "--merge")
    merged = rest(sb, "GET", K + f"/pulls/{number}")
    assert merged["merged"] is True
    master = rest(sb, "GET", K + "/commits/master")
    assert master["sha"] == merged["merge_commit_sha"]
    assert [p["sha"] for p in master["parents"]][1] == pull["head"]["sha"]
    assert master["commit"]["message"].startswith(
        f"Merge pull request #{number} from ipfs/gh-pr-flow")
    assert base in [p["sha"] for p in rest(sb, "GET", K + "/commits?sha=master")]
    state = json.loads(gh(sb, "pr", "view", str(number), "--json", "state,mergeCommit"))
    assert state == {"state": "MERGED", "mergeCommit": {"oid": master["sha"]}}
    merged_rows = gh(sb, "pr", "list", "--state", "merged", "--author", "release-driver")
    assert f"{number}\tgh: a pull request\tgh-pr-flow\tMERGED" in [
        "\t".join(r.split("\t")[:4]) for r in merged_rows.splitlines()]


def test_repo_view(tls_sandbox: SandboxHandle) -> None:
    sb = tls_sandbox
    host = httpx.URL(sb.base_url).netloc.decode()
    out = run_gh(sb, "repo", "view", f"{host}/ipfs/kubo").stdout
    description = rest(sb, "GET", K)["description"]
    assert out.startswith(f"name:\tipfs/kubo\ndescription:\t{description}\n")
    viewed = json.loads(run_gh(sb, "repo", "view", f"{host}/ipfs/kubo", "--json",
                               "name,owner,defaultBranchRef,url,isPrivate").stdout)
    assert viewed == {"name": "kubo", "owner": {"id": rest(sb, "GET", K)["owner"]["node_id"],
                                                "login": "ipfs"},
                      "defaultBranchRef": {"name": "master"}, "isPrivate": False,
                      "url": f"{sb.base_url}/ipfs/kubo"}


def test_release_list(tls_sandbox: SandboxHandle) -> None:
    sb = tls_sandbox
    rows = gh(sb, "release", "list").splitlines()
    seeded = rest(sb, "GET", K + "/releases/tags/v0.29.0")
    assert f"v0.29.0\tLatest\tv0.29.0\t{seeded['published_at']}" in rows


def test_label_list(tls_sandbox: SandboxHandle) -> None:
    sb = tls_sandbox
    name = "gh-area/graphql"
    rest(sb, "POST", K + "/labels", json={"name": name, "color": "1d76db",
                                          "description": "Labels read by gh"})
    rows = gh(sb, "label", "list", "--limit", "100").splitlines()
    assert f"{name}\tLabels read by gh\t#1d76db" in rows
    assert "kind/bug\t\t#ededed" in rows
    assert len(rows) == len(rest(sb, "GET", K + "/labels?per_page=100"))


def test_pr_create_with_metadata_ready_and_review(tls_sandbox: SandboxHandle) -> None:
    """What a release pull request goes through: a draft with a label, an assignee, a
    milestone and a reviewer, made ready, approved by the second maintainer."""
    sb = tls_sandbox
    _branch_with_a_commit(sb, "gh-pr-review")
    url = gh(sb, "pr", "create", "--head", "gh-pr-review", "--base", "master", "--draft",
             "--title", "gh: reviewed", "--body", "Please review.", "--label", "kind/bug",
             "--assignee", "release-driver", "--milestone", "v0.30.0",
             "--reviewer", "release-reviewer").strip()
    number = str(int(url.rsplit("/", 1)[1]))
    view = gh(sb, "pr", "view", number)
    assert view.startswith("title:\tgh: reviewed\nstate:\tDRAFT\nauthor:\trelease-driver\n"
                           "labels:\tkind/bug\nassignees:\trelease-driver\n"
                           "reviewers:\trelease-reviewer (Requested)\nprojects:\t\n"
                           "milestone:\tv0.30.0\n")
    gh(sb, "pr", "ready", number)
    assert rest(sb, "GET", K + f"/pulls/{number}")["draft"] is False
    own = run_gh(sb, "pr", "review", number, "--approve", *repo_arg(sb), check=False)
    assert own.returncode == 1
    assert "Review Can not approve your own pull request" in own.stderr
    run_gh(sb, "pr", "review", number, "--approve", "--body", "LGTM", *repo_arg(sb),
           token=sb.reviewer_token)
    viewed = json.loads(gh(sb, "pr", "view", number, "--json",
                           "isDraft,reviewDecision,latestReviews,labels,milestone"))
    assert (viewed["isDraft"], viewed["reviewDecision"]) == (False, "APPROVED")
    assert [(r["author"]["login"], r["state"], r["body"]) for r in viewed["latestReviews"]] \
        == [("release-reviewer", "APPROVED", "LGTM")]
    assert [x["name"] for x in viewed["labels"]] == ["kind/bug"]
    assert viewed["milestone"]["title"] == "v0.30.0"
    reviews = rest(sb, "GET", K + f"/pulls/{number}/reviews")
    assert [(r["user"]["login"], r["state"]) for r in reviews] == [
        ("release-reviewer", "APPROVED")]


def test_the_manual_equivalents_cockpit_explain_prints(tls_sandbox: SandboxHandle,
                                                       tmp_path: Path) -> None:
    """The gh commands the release's explanations print (find, edit, watch, merge by
    head branch; edit an issue's body), run as printed."""
    sb = tls_sandbox
    _branch_with_a_commit(sb, "gh-manual")
    gh(sb, "pr", "create", "--head", "gh-manual", "--base", "master", "--title",
       "gh: manual path", "--body", "draft body")
    found = gh(sb, "pr", "list", "--head", "gh-manual", "--base", "master", "--state", "all")
    [row] = found.splitlines()
    number = row.split("\t")[0]
    ident = json.loads(gh(sb, "pr", "view", "gh-manual", "--json", "number,isDraft,id"))
    assert ident == {"number": int(number), "isDraft": False,
                     "id": rest(sb, "GET", K + f"/pulls/{number}")["node_id"]}
    body = tmp_path / "body.md"
    body.write_text("The commits not included:\n- abc\n")
    gh(sb, "pr", "edit", "gh-manual", "--body-file", str(body), "--add-label", "kind/bug")
    pull = rest(sb, "GET", K + f"/pulls/{number}")
    assert pull["body"] == body.read_text()
    assert [x["name"] for x in pull["labels"]] == ["kind/bug"]

    issue = rest(sb, "POST", K + "/issues", json={"title": "gh: manual tracking issue",
                                                  "body": "old", "labels": ["kind/bug"]})
    gh(sb, "issue", "edit", str(issue["number"]), "--body-file", str(body),
       "--remove-label", "kind/bug")
    assert gh(sb, "issue", "view", str(issue["number"]), "--json", "body", "--jq",
              ".body") == body.read_text() + "\n"
    assert rest(sb, "GET", K + f"/issues/{issue['number']}")["labels"] == []
    searched = gh(sb, "issue", "list", "-s", "all", "--search",
                  '"gh: manual tracking issue" in:title')
    assert [r.split("\t")[0] for r in searched.splitlines()] == [str(issue["number"])]

    watched = run_gh(sb, "pr", "checks", "gh-manual", "--watch", "--interval", "1",
                     *repo_arg(sb), timeout=60)
    assert "pass" in watched.stdout
    gh(sb, "pr", "merge", "gh-manual", "--squash")
    merged = rest(sb, "GET", K + f"/pulls/{number}")
    assert merged["merged"] is True
    assert rest(sb, "GET", K + "/commits/master")["sha"] == merged["merge_commit_sha"]
