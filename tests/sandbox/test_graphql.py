"""The sandbox's GraphQL endpoint, queried directly over HTTP: GitHub's schema (cut),
GitHub's answers and errors, the same objects and node ids as REST, mutations that do
what their REST twins do, and the cross-repository read the cockpit batches (#18).

One sandbox serves the module; tests that write use names of their own."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cockpit.sandbox.github import graphql_issues, graphql_objects, graphql_repository
from cockpit.sandbox.github.graphql import SCHEMA_FILE, schema
from cockpit.sandbox.testing import SandboxHandle, running_sandbox

K = "/repos/ipfs/kubo"


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path_factory.mktemp("graphql"), workflow_seconds=0.3) as handle:
        yield handle


def post(sb: SandboxHandle, query: str, variables: dict[str, Any] | None = None,
         token: str | None = "admin") -> httpx.Response:
    headers = {}
    if token is not None:
        headers["Authorization"] = "bearer " + (sb.admin_token if token == "admin" else token)
    return httpx.post(sb.base_url + "/api/graphql", json={"query": query,
                                                          "variables": variables or {}},
                      headers=headers, timeout=30)


def gql(sb: SandboxHandle, query: str, **variables: Any) -> Any:
    """The data of a query that must succeed."""
    answer = post(sb, query, variables)
    assert answer.status_code == 200
    body = answer.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def rest(sb: SandboxHandle, method: str, path: str, **kwargs: Any) -> Any:
    answer = httpx.request(method, sb.api_url + path, timeout=30, headers={
        "Authorization": f"Bearer {sb.admin_token}"}, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


# -- the schema ------------------------------------------------------------------------

def test_the_schema_is_githubs_cut_with_its_version_recorded() -> None:
    text = SCHEMA_FILE.read_text()
    assert text.startswith("# GitHub's GraphQL schema, cut by scripts/cut_graphql.py from "
                           "@octokit/graphql-schema@15.26.1")
    built = schema()
    repo = built.get_type("Repository")
    assert str(repo.fields["issues"].type) == "IssueConnection!"  # type: ignore[union-attr]
    assert str(repo.fields["ref"].args["qualifiedName"].type) == "String!"  # type: ignore[union-attr]
    assert str(built.get_type("PullRequest").fields["mergedAt"].type) == "DateTime"  # type: ignore[union-attr]


def test_the_only_rule_githubs_schema_breaks_is_a_deprecated_node_id() -> None:
    """The schema is built as GitHub serves it (``assume_valid``); this says which of
    graphql-core's rules that skips, so a new break in a re-cut shows up here."""
    from graphql import build_schema, validate_schema

    problems = validate_schema(build_schema(SCHEMA_FILE.read_text()))
    assert problems
    assert all(re.fullmatch(r"Interface field Node\.id is not deprecated, so implementation "
                            r"field Project\w*\.id must not be deprecated\.", p.message)
               for p in problems), [p.message for p in problems]


def test_the_cut_is_small() -> None:
    """What a process pays to serve GraphQL is the schema's size: the cut (~150 types)
    builds ~15 times faster than the full schema (1,624 types, ~0.7 s here)."""
    assert len(schema().type_map) < 200


STATUS = {"id": 1, "sha": "0" * 40, "state": "failure", "description": "lint failed",
          "target_url": "https://ci.example/1", "context": "ci/lint", "creator": "alice",
          "created_at": "2024-06-01T00:00:00Z"}
"""A commit status as ``POST /statuses/{sha}`` stores it (``statuses`` of a repository)."""


def _objects(sb: SandboxHandle) -> dict[str, Any]:
    """One instance of every class that serves a type, from the seeded world."""
    q = graphql_objects.Q(sb.sandbox, "release-driver")
    r = sb.sandbox.world.repo("ipfs/kubo")
    assert r is not None
    repo = graphql_repository.Repository(q, r)
    git = repo.git
    head = git.commit("master")
    assert head is not None
    release_ref = repo.ref(None, "v0.29.0")
    assert release_ref is not None
    pulls = [i for i in r["issues"] if i["pull"]]
    assert pulls, "the module made a pull request before this test"
    pr = graphql_issues.PullRequest(repo, pulls[0])
    run = next(x for x in r["runs"])
    tag_sha = git.refs("refs/tags/v0.29.0")["refs/tags/v0.29.0"]
    found: dict[str, Any] = {
        "Repository": repo, "User": graphql_objects.actor(q, "release-driver"),
        "Bot": graphql_objects.Bot(q, "github-actions[bot]"),
        "Organization": graphql_objects.Organization(q, "ipfs"),
        "Issue": graphql_issues.Issue(repo, next(i for i in r["issues"] if not i["pull"])),
        "PullRequest": pr, "Ref": release_ref, "Commit": graphql_objects.Commit(repo, head),
        "Blob": graphql_objects.Blob(repo, git.git("rev-parse", "master:version.go").strip()),
        "Tree": graphql_objects.Tree(repo, head.tree),
        "Label": graphql_objects.Label(repo, "kind/bug"),
        "Milestone": graphql_objects.Milestone(repo, r["milestones"][0]),
        "Release": graphql_objects.Release(repo, r["releases"][0]),
        "IssueComment": graphql_issues.IssueComment(repo, r["comments"][0]),
        "CheckRun": graphql_objects.CheckRun(repo, run),
        "StatusContext": graphql_objects.StatusContext(repo, STATUS),
        "StatusCheckRollup": graphql_objects.StatusCheckRollup(
            graphql_objects.Commit(repo, head), []),
    }
    if git.object_type(tag_sha) == "tag":
        found["Tag"] = graphql_objects.Tag(repo, tag_sha)
    return found


def test_every_field_of_a_served_type_has_a_resolver(sb: SandboxHandle) -> None:
    """A field in the cut with nothing behind it would answer null (or fail as a
    non-null field): the cut and the classes must agree, field for field."""
    _open_pull(sb, "resolver-check")  # a pull request, and the workflow runs it starts
    missing = []
    for name, obj in _objects(sb).items():
        fields = schema().get_type(name).fields  # type: ignore[union-attr]
        missing += [f"{name}.{f}" for f in fields if not hasattr(obj, f)]
    assert missing == []
    classes = {n for m in (graphql_objects, graphql_issues, graphql_repository)
               for n in dir(m) if isinstance(getattr(m, n), type)}
    served = {n for n, t in schema().type_map.items()
              if not n.startswith("__") and type(t).__name__ == "GraphQLObjectType"}
    uninhabited = served & graphql_objects.UNINHABITED
    assert uninhabited == graphql_objects.UNINHABITED
    assert not uninhabited & classes


# -- GitHub's answers --------------------------------------------------------------------

def test_without_a_token_it_is_401(sb: SandboxHandle) -> None:
    answer = post(sb, "{ viewer { login } }", token=None)
    assert answer.status_code == 401
    assert answer.json()["message"] == "This endpoint requires you to be authenticated."


@pytest.mark.parametrize(("query", "message"), [
    ("{ viewer { login ", "Syntax Error"),
    ("{ viewer { nope } }", "Cannot query field 'nope' on type 'User'."),
    ("{ repository(owner: \"ipfs\") { name } }",
     "Argument 'Query.repository(name:)' of type 'String!' is required"),
], ids=["syntax", "unknown-field", "missing-argument"])
def test_a_query_github_would_refuse_is_refused_the_same_way(
        sb: SandboxHandle, query: str, message: str) -> None:
    """HTTP 200, no ``data``, the reason in ``errors`` (in graphql-core's words: GitHub's
    graphql-ruby words a missing argument differently)."""
    answer = post(sb, query)
    assert answer.status_code == 200
    body = answer.json()
    assert "data" not in body
    assert message in body["errors"][0]["message"]


def test_a_missing_repository_is_not_found_with_githubs_type(sb: SandboxHandle) -> None:
    body = post(sb, '{ repository(owner: "ipfs", name: "nope") { name } }').json()
    assert body["data"] == {"repository": None}
    assert body["errors"][0]["type"] == "NOT_FOUND"
    assert body["errors"][0]["message"] == \
        "Could not resolve to a Repository with the name 'ipfs/nope'."
    assert body["errors"][0]["path"] == ["repository"]


def test_a_read_only_token_cannot_mutate(sb: SandboxHandle) -> None:
    repo_id = gql(sb, '{ repository(owner: "ipfs", name: "kubo") { id } }')["repository"]["id"]
    body = post(sb, "mutation($r: ID!) { createIssue(input: {repositoryId: $r, title: \"x\"})"
                    " { issue { number } } }", {"r": repo_id}, token=sb.readonly_token).json()
    assert body["errors"][0]["type"] == "FORBIDDEN"
    assert not [i for i in sb.state()["repos"]["ipfs/kubo"]["issues"] if i["title"] == "x"]


# -- the same objects as REST ------------------------------------------------------------

def test_node_ids_are_rests_and_resolve_back(sb: SandboxHandle) -> None:
    data = gql(sb, """{ repository(owner: "ipfs", name: "kubo") {
        id owner { id login } issue(number: 1) { id author { ... on User { id } } }
        label(name: "kind/bug") { id } milestone(number: 1) { id }
        release(tagName: "v0.29.0") { id databaseId isDraft } } }""")["repository"]
    assert data["id"] == rest(sb, "GET", K)["node_id"]
    assert data["owner"]["id"] == rest(sb, "GET", K)["owner"]["node_id"]
    issue = rest(sb, "GET", K + "/issues/1")
    assert data["issue"]["id"] == issue["node_id"]
    assert data["issue"]["author"]["id"] == issue["user"]["node_id"]
    assert data["label"]["id"] == rest(sb, "GET", K + "/labels/kind%2Fbug")["node_id"]
    assert data["milestone"]["id"] == rest(sb, "GET", K + "/milestones/1")["node_id"]
    release = rest(sb, "GET", K + "/releases/tags/v0.29.0")
    assert data["release"] == {"id": release["node_id"], "databaseId": release["id"],
                               "isDraft": False}  # what gh release view asks first
    ids = [data["id"], data["issue"]["id"], data["label"]["id"], data["release"]["id"]]
    nodes = gql(sb, "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", ids=ids)
    assert [(n["__typename"], n["id"]) for n in nodes["nodes"]] == [
        ("Repository", ids[0]), ("Issue", ids[1]), ("Label", ids[2]), ("Release", ids[3])]


def test_issues_page_with_githubs_cursors(sb: SandboxHandle) -> None:
    query = """query($after: String) { repository(owner: "ipfs", name: "kubo") {
        issues(first: 1, after: $after, states: CLOSED, orderBy: {field: CREATED_AT,
        direction: ASC}) { totalCount nodes { number title state }
        pageInfo { hasNextPage endCursor } } } }"""
    first = gql(sb, query)["repository"]["issues"]
    assert first["nodes"][0]["number"] == 1
    assert first["pageInfo"]["hasNextPage"] is True
    second = gql(sb, query, after=first["pageInfo"]["endCursor"])["repository"]["issues"]
    assert second["nodes"][0]["number"] == 2
    assert second["totalCount"] == first["totalCount"]


def _open_pull(sb: SandboxHandle, branch: str) -> dict[str, Any]:
    """A pull request of its own into master (one commit on ``branch``), made over REST."""
    existing = rest(sb, "GET", K + f"/pulls?head=ipfs:{branch}&state=all")
    if existing:
        return existing[0]  # type: ignore[no-any-return]
    master = rest(sb, "GET", K + "/commits/master")["sha"]
    rest(sb, "POST", K + "/git/refs", json={"ref": f"refs/heads/{branch}", "sha": master})
    rest(sb, "PUT", K + f"/contents/{branch}.txt", json={
        "message": f"{branch}: add a file\n\nwith a body", "branch": branch,
        "content": base64.b64encode(f"{branch}\n".encode()).decode()})
    return rest(sb, "POST", K + "/pulls", json={  # type: ignore[no-any-return]
        "title": f"{branch} work", "head": branch, "base": "master", "body": "why"})


def test_a_pull_request_reads_as_rest_describes_it(sb: SandboxHandle) -> None:
    made = _open_pull(sb, "gql-read")
    data = gql(sb, """query($n: Int!) { repository(owner: "ipfs", name: "kubo") {
        pullRequest(number: $n) { id number title state isDraft headRefName baseRefName
          headRefOid mergeable additions deletions changedFiles
          files(first: 10) { nodes { path additions deletions } }
          commits(first: 10) { totalCount nodes { commit { oid messageHeadline
            messageBody } } } } } }""", n=made["number"])["repository"]["pullRequest"]
    assert data["id"] == made["node_id"]
    assert (data["state"], data["isDraft"], data["mergeable"]) == ("OPEN", False, "MERGEABLE")
    assert data["headRefOid"] == made["head"]["sha"]
    assert data["files"]["nodes"] == [{"path": "gql-read.txt", "additions": 1,
                                       "deletions": 0}]
    assert (data["additions"], data["changedFiles"]) == (1, 1)
    commits = data["commits"]["nodes"]
    assert [c["commit"]["messageHeadline"] for c in commits] == ["gql-read: add a file"]
    assert commits[0]["commit"]["messageBody"] == "with a body"


def test_the_rollup_holds_check_runs_and_the_latest_status_per_context(
        sb: SandboxHandle) -> None:
    made = _open_pull(sb, "gql-rollup")
    sha = made["head"]["sha"]
    world = sb.sandbox.world
    with world.lock:
        r = world.repo("ipfs/kubo")
        assert r is not None
        r.setdefault("statuses", []).extend([
            {**STATUS, "id": world.new_id(), "sha": sha, "state": "pending"},
            {**STATUS, "id": world.new_id(), "sha": sha}])
    rollup = gql(sb, """query($n: Int!) { repository(owner: "ipfs", name: "kubo") {
        pullRequest(number: $n) { commits(last: 1) { nodes { commit { statusCheckRollup {
        state contexts(first: 10) { nodes { __typename ... on StatusContext { context state
        description targetUrl } ... on CheckRun { name } } } } } } } } } }""",
                 n=made["number"])["repository"]["pullRequest"]["commits"]["nodes"][0][
        "commit"]["statusCheckRollup"]
    assert rollup["state"] == "FAILURE"
    statuses = [c for c in rollup["contexts"]["nodes"] if c["__typename"] == "StatusContext"]
    assert statuses == [{"__typename": "StatusContext", "context": "ci/lint",
                         "state": "FAILURE", "description": "lint failed",
                         "targetUrl": "https://ci.example/1"}]
    runs = rest(sb, "GET", K + f"/commits/{sha}/check-runs")["check_runs"]
    assert sorted(c["name"] for c in rollup["contexts"]["nodes"] if "name" in c) == \
        sorted(r["name"] for r in runs)


def test_reactions_count_as_rest_keeps_them(sb: SandboxHandle) -> None:
    world = sb.sandbox.world
    with world.lock:
        r = world.repo("ipfs/kubo")
        assert r is not None
        r.setdefault("reactions", []).extend([
            {"id": world.new_id(), "subject": "issue", "subject_id": 2, "user": user,
             "content": content, "created_at": "2024-06-01T00:00:00Z"}
            for user, content in [("alice", "+1"), ("bob", "+1"), ("alice", "rocket")]])
    groups = gql(sb, """{ repository(owner: "ipfs", name: "kubo") { issue(number: 2) {
        reactionGroups { content users { totalCount } } } } }""")["repository"]["issue"][
        "reactionGroups"]
    counts = {g["content"]: g["users"]["totalCount"] for g in groups}
    assert counts == {"THUMBS_UP": 2, "THUMBS_DOWN": 0, "LAUGH": 0, "HOORAY": 0,
                      "CONFUSED": 0, "HEART": 0, "ROCKET": 1, "EYES": 0}


def test_a_private_repository_is_hidden_from_who_may_not_read_it(sb: SandboxHandle) -> None:
    world = sb.sandbox.world
    r = world.repo("ipfs/infra")
    assert r is not None
    query = '{ repository(owner: "ipfs", name: "infra") { id name } }'
    before = {k: r[k] for k in ("private", "collaborators") if k in r}
    outsider = sb.sandbox.issue_token("read", "outsider")  # no member of ipfs
    with world.lock:
        r.update(private=True, collaborators={"release-driver": "admin"})
    try:
        seen = gql(sb, query)["repository"]
        hidden = post(sb, query, token=outsider).json()
        assert hidden["data"] == {"repository": None}
        assert hidden["errors"][0]["type"] == "NOT_FOUND"
        by_id = post(sb, "query($id: ID!) { node(id: $id) { id } }", {"id": seen["id"]},
                     token=outsider).json()
        assert by_id["data"] == {"node": None}
    finally:
        with world.lock:
            r.pop("private")
            r.pop("collaborators")
            r.update(before)


# -- mutations ---------------------------------------------------------------------------

def test_create_issue_and_comment_land_in_rest(sb: SandboxHandle) -> None:
    ids = gql(sb, """{ repository(owner: "ipfs", name: "kubo") { id
        label(name: "kind/bug") { id } milestone(number: 1) { id } } }""")["repository"]
    made = gql(sb, """mutation($r: ID!, $l: [ID!], $m: ID) { createIssue(input: {
        repositoryId: $r, title: "From GraphQL", body: "made by a mutation",
        labelIds: $l, milestoneId: $m}) { issue { id number url labels(first: 5) {
        nodes { name } } milestone { title } } } }""", r=ids["id"],
        l=[ids["label"]["id"]], m=ids["milestone"]["id"])["createIssue"]["issue"]
    issue = rest(sb, "GET", K + f"/issues/{made['number']}")
    assert (issue["title"], issue["body"], issue["node_id"]) == (
        "From GraphQL", "made by a mutation", made["id"])
    assert [x["name"] for x in issue["labels"]] == ["kind/bug"] == \
        [x["name"] for x in made["labels"]["nodes"]]
    assert issue["milestone"]["title"] == made["milestone"]["title"] == "v0.30.0"
    assert made["url"] == issue["html_url"]
    comment = gql(sb, """mutation($s: ID!) { addComment(input: {subjectId: $s,
        body: "a comment"}) { commentEdge { node { body url author { login } } } } }""",
                  s=made["id"])["addComment"]["commentEdge"]["node"]
    rest_comment = rest(sb, "GET", K + f"/issues/{made['number']}/comments")[-1]
    assert (rest_comment["body"], rest_comment["html_url"]) == ("a comment", comment["url"])
    assert comment["author"]["login"] == "release-driver"
    closed = gql(sb, """mutation($i: ID!) { closeIssue(input: {issueId: $i,
        stateReason: NOT_PLANNED}) { issue { state stateReason closed } } }""",
                 i=made["id"])["closeIssue"]["issue"]
    assert closed == {"state": "CLOSED", "stateReason": "NOT_PLANNED", "closed": True}
    assert rest(sb, "GET", K + f"/issues/{made['number']}")["state_reason"] == "not_planned"


def test_a_refused_mutation_is_restss_refusal_with_githubs_type(sb: SandboxHandle) -> None:
    repo_id = gql(sb, '{ repository(owner: "ipfs", name: "kubo") { id } }')["repository"]["id"]
    body = post(sb, """mutation($r: ID!) { createPullRequest(input: {repositoryId: $r,
        baseRefName: "master", headRefName: "no-such-branch", title: "x"}) {
        pullRequest { number } } }""", {"r": repo_id}).json()
    assert body["data"] == {"createPullRequest": None}
    assert body["errors"][0]["type"] == "UNPROCESSABLE"
    body = post(sb, "mutation { addComment(input: {subjectId: \"I_nope\", body: \"x\"})"
                    " { subject { id } } }").json()
    assert body["errors"][0]["type"] == "NOT_FOUND"
    assert "I_nope" in body["errors"][0]["message"]


def test_create_and_merge_a_pull_request_merges_in_git(sb: SandboxHandle) -> None:
    master = rest(sb, "GET", K + "/commits/master")["sha"]
    rest(sb, "POST", K + "/git/refs", json={"ref": "refs/heads/gql-merge", "sha": master})
    rest(sb, "PUT", K + "/contents/gql-merge.txt", json={
        "message": "gql-merge: a file", "branch": "gql-merge",
        "content": base64.b64encode(b"x\n").decode()})
    repo_id = gql(sb, '{ repository(owner: "ipfs", name: "kubo") { id } }')["repository"]["id"]
    pr = gql(sb, """mutation($r: ID!) { createPullRequest(input: {repositoryId: $r,
        baseRefName: "master", headRefName: "gql-merge", title: "Merge me", body: "b",
        draft: true}) { pullRequest { id number isDraft state } } }""",
             r=repo_id)["createPullRequest"]["pullRequest"]
    assert (pr["isDraft"], pr["state"]) == (True, "OPEN")
    assert rest(sb, "GET", K + f"/pulls/{pr['number']}")["title"] == "Merge me"
    ready = gql(sb, "mutation($p: ID!) { markPullRequestReadyForReview(input: "
                    "{pullRequestId: $p}) { pullRequest { isDraft } } }", p=pr["id"])
    assert ready["markPullRequestReadyForReview"]["pullRequest"]["isDraft"] is False
    merged = gql(sb, """mutation($p: ID!) { mergePullRequest(input: {pullRequestId: $p,
        mergeMethod: SQUASH, commitHeadline: "Squashed (#1)"}) { pullRequest {
        state merged mergeCommit { oid messageHeadline } } } }""",
                 p=pr["id"])["mergePullRequest"]["pullRequest"]
    assert (merged["state"], merged["merged"]) == ("MERGED", True)
    head = rest(sb, "GET", K + "/commits/master")
    assert head["sha"] == merged["mergeCommit"]["oid"]
    assert head["commit"]["message"].startswith("Squashed (#1)")
    assert head["parents"] == [{"sha": master, "url": head["parents"][0]["url"],
                                "html_url": head["parents"][0]["html_url"]}]


def test_search_reads_githubs_qualifiers(sb: SandboxHandle) -> None:
    query = """query($q: String!) { search(query: $q, type: ISSUE, first: 20) {
        issueCount nodes { __typename ... on Issue { number } ... on PullRequest {
        number } } } }"""

    def numbers(q: str) -> list[tuple[str, int]]:
        found = gql(sb, query, q=q)["search"]
        assert found["issueCount"] == len(found["nodes"])
        return [(n["__typename"], n["number"]) for n in found["nodes"]]

    bugs = numbers('repo:ipfs/kubo is:issue label:"kind/bug" state:closed')
    assert ("Issue", 2) in bugs and ("Issue", 1) not in bugs
    assert all("kind/bug" in [x["name"] for x in rest(sb, "GET", K + f"/issues/{n}")["labels"]]
               for _, n in bugs)
    assert numbers("repo:ipfs/kubo is:issue -label:kind/bug sort:created-asc")[0] == \
        ("Issue", 1)
    assert numbers("repo:ipfs/kubo connection limits in:title") == [("Issue", 2)]
    made = _open_pull(sb, "gql-search")
    assert ("PullRequest", made["number"]) in numbers(
        "repo:ipfs/kubo type:pr head:gql-search author:release-driver draft:false")
    body = post(sb, '{ search(query: "x", type: REPOSITORY, first: 1) { issueCount } }').json()
    assert body["errors"][0]["type"] == "UNPROCESSABLE"


# -- the cockpit's batched read (#18) -----------------------------------------------------

def test_one_query_reads_what_the_checks_need_across_repositories(sb: SandboxHandle) -> None:
    made = _open_pull(sb, "gql-batch")
    data = gql(sb, """query {
      kubo: repository(owner: "ipfs", name: "kubo") {
        master: ref(qualifiedName: "refs/heads/master") { name prefix target { oid } }
        release: ref(qualifiedName: "release") { target { oid } }
        tags: refs(refPrefix: "refs/tags/", first: 10) { totalCount nodes { name
          target { __typename oid ... on Tag { target { oid } } } } }
        pullRequests(headRefName: "gql-batch", states: [OPEN, MERGED], first: 5) {
          nodes { number headRefOid baseRefName } }
        issues(first: 10, states: [OPEN, CLOSED], orderBy: {field: CREATED_AT,
          direction: DESC}) { nodes { number title state } }
        releases(first: 5, orderBy: {field: CREATED_AT, direction: DESC}) {
          nodes { tagName isDraft isPrerelease isLatest tagCommit { oid } } }
        milestones(first: 5, states: OPEN) { nodes { number title state } }
        version: object(expression: "master:version.go") { ... on Blob { text } }
        missing: object(expression: "master:no-such-file") { oid }
      }
      docs: repository(owner: "ipfs", name: "ipfs-docs") {
        defaultBranchRef { name target { oid } } } }""")
    kubo = data["kubo"]
    git_refs = {r["ref"]: r["object"]["sha"]
                for r in rest(sb, "GET", K + "/git/matching-refs/")}
    assert (kubo["master"]["name"], kubo["master"]["prefix"]) == ("master", "refs/heads/")
    assert kubo["master"]["target"]["oid"] == git_refs["refs/heads/master"]
    assert kubo["release"]["target"]["oid"] == git_refs["refs/heads/release"]
    tags = {t["name"]: t["target"]["oid"] for t in kubo["tags"]["nodes"]}
    assert tags == {r.removeprefix("refs/tags/"): s for r, s in git_refs.items()
                    if r.startswith("refs/tags/")}
    assert kubo["pullRequests"]["nodes"] == [{"number": made["number"], "baseRefName":
                                              "master", "headRefOid": made["head"]["sha"]}]
    rest_issues = rest(sb, "GET", K + "/issues?state=all&per_page=100")
    assert {i["number"] for i in kubo["issues"]["nodes"]} <= \
        {i["number"] for i in rest_issues if "pull_request" not in i}
    assert kubo["releases"]["nodes"][0]["tagName"] == "v0.29.0"
    assert kubo["releases"]["nodes"][0]["isLatest"] is True
    assert kubo["milestones"]["nodes"] == [{"number": 1, "title": "v0.30.0", "state": "OPEN"}]
    contents = rest(sb, "GET", K + "/contents/version.go?ref=master")
    assert kubo["version"]["text"] == base64.b64decode(contents["content"]).decode()
    assert kubo["missing"] is None
    assert data["docs"]["defaultBranchRef"]["name"] == "main"


def test_labels_read_like_gh_label_list(sb: SandboxHandle) -> None:
    rest(sb, "POST", K + "/labels", json={"name": "gql-area", "color": "00ff00",
                                          "description": "Made for the GraphQL test"})
    data = gql(sb, """{ repository(owner: "ipfs", name: "kubo") {
        labels(first: 100, orderBy: {field: NAME, direction: ASC}) { totalCount
        nodes { name color description } } } }""")["repository"]["labels"]
    names = [n["name"] for n in data["nodes"]]
    assert names == sorted(names, key=str.lower)
    assert {"name": "gql-area", "color": "00ff00",
            "description": "Made for the GraphQL test"} in data["nodes"]
    assert data["totalCount"] == len(rest(sb, "GET", K + "/labels?per_page=100"))


def test_a_query_costs_what_github_charges(sb: SandboxHandle) -> None:
    """100 issues with 10 labels each: 1 + 100 connections, /100 → 1 point, 1,100 nodes;
    1 point more on the next query, said by rateLimit and the headers alike."""
    query = """{ rateLimit { cost nodeCount used remaining limit resetAt }
        repository(owner: "ipfs", name: "kubo") { issues(first: 100) { nodes {
        labels(first: 10) { nodes { name } } } } } }"""
    answer = post(sb, query)
    limit = answer.json()["data"]["rateLimit"]
    assert (limit["cost"], limit["nodeCount"], limit["limit"]) == (1, 1100, 5000)
    assert limit["remaining"] == 5000 - limit["used"]
    assert answer.headers["x-ratelimit-resource"] == "graphql"
    assert answer.headers["x-ratelimit-used"] == str(limit["used"])
    again = post(sb, query).json()["data"]["rateLimit"]
    assert again["used"] == limit["used"] + 1
    deep = """{ repository(owner: "ipfs", name: "kubo") { issues(first: 100) { nodes {
        labels(first: 100) { nodes { name } } comments(first: 100) { totalCount } } } } }"""
    assert post(sb, deep).headers["x-ratelimit-used"] == str(again["used"] + 2)
    huge = """{ repository(owner: "ipfs", name: "kubo") { refs(refPrefix: "refs/heads/",
        first: 100) { nodes { associatedPullRequests(first: 100) { nodes {
        labels(first: 100) { totalCount } } } } } } }"""
    body = post(sb, huge).json()
    assert body["errors"][0]["type"] == "MAX_NODE_LIMIT_EXCEEDED"
    assert "data" not in body


def test_update_pull_request_sets_and_clears_what_it_is_given(sb: SandboxHandle) -> None:
    """``gh pr edit``: what the input names changes (a null milestone removes it), what it
    leaves out stays."""
    made = _open_pull(sb, "gql-edit")
    ids = gql(sb, """{ repository(owner: "ipfs", name: "kubo") { milestone(number: 1) { id }
        label(name: "kind/bug") { id } } }""")["repository"]
    update = """mutation($input: UpdatePullRequestInput!) {
        updatePullRequest(input: $input) { pullRequest { title body
        milestone { number } labels(first: 5) { nodes { name } } } } }"""
    first = gql(sb, update, input={
        "pullRequestId": made["node_id"], "title": "gql-edit: retitled",
        "milestoneId": ids["milestone"]["id"], "labelIds": [ids["label"]["id"]]})
    assert first["updatePullRequest"]["pullRequest"] == {
        "title": "gql-edit: retitled", "body": "why", "milestone": {"number": 1},
        "labels": {"nodes": [{"name": "kind/bug"}]}}
    cleared = gql(sb, update, input={
        "pullRequestId": made["node_id"], "milestoneId": None})
    assert cleared["updatePullRequest"]["pullRequest"]["milestone"] is None
    pull = rest(sb, "GET", K + f"/pulls/{made['number']}")
    assert (pull["title"], pull["milestone"], [x["name"] for x in pull["labels"]]) == (
        "gql-edit: retitled", None, ["kind/bug"])
