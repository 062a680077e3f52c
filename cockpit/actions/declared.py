"""Action kinds that playbooks may name but that are not implemented yet.

These kinds are declared so that playbooks (the built-in Kubo playbook first of all)
validate: a kind name that is neither implemented nor declared is a load-time error.
A declared kind has no implementation: the cockpit reports each action of such a kind
as "not implemented yet" and leaves the step to the human. It never pretends to run,
check or skip them. Their parameters are free-form (not validated) until a later change
implements the kind with its own ``Params`` model; the playbook already uses them
consistently, so each summary below also says which parameters the playbook passes.

Conventions the playbook relies on for every kind here: a "create" is get-or-create
(rerunning never makes a second one), a "wait" reports "in progress" with a link and is
polled, and a "verify" only reads.
"""

from __future__ import annotations

from cockpit.actions.base import REGISTRY

DECLARED: dict[str, str] = {
    # -- preflight: read-only checks of the driver's setup ------------------------------
    "preflight.token": "Check that a service token (service: github/matrix/discourse) is "
                       "present and has the scopes needed (scopes, url, purpose)",
    "preflight.repo-access": "Check the GitHub token's permission (push/triage) on a repo "
                             "and that the listed branches exist (repo, permission, branches)",
    "preflight.workflow": "Check that a workflow file exists and is enabled in a repo "
                          "(repo, workflow, name)",
    "preflight.git-identity": "Check that git user.name and user.email are configured "
                              "(require_name, require_email)",
    "preflight.signing-key": "Check that a GPG key for the git identity can sign "
                             "(program, match_email, test_sign)",
    "preflight.tool": "Check that a tool is on PATH, optionally at a minimum version "
                      "(tool, version_args, min_version, purpose)",
    "discourse.category-writable": "Check that the Discourse key can post, tag and pin in "
                                   "a category (url, category, tags)",
    "matrix.room-joined": "Check that the Matrix account has joined a room (room)",
    "preflight.version-valid": "Check that the version matches Kubo's vX.Y.Z[-rcN] form "
                               "(version, pattern)",
    "preflight.version-newer": "Check that the version is newer than the latest release "
                               "and its tag does not exist (repo, version, "
                               "include_prereleases, same_minor_series_only, "
                               "tag_must_not_exist)",
    # -- git (beyond git.branch / git.edit / git.tag) ------------------------------------
    "git.file-contains": "Verify that a file at a ref contains a literal text or matches "
                         "a regex (repo, ref, path, text | pattern)",
    "git.tag-verify": "Verify a pushed tag: annotated, message, GPG signature valid, and "
                      "its commit is the head of a ref (repo, tag, ref, message, signed)",
    "git.merge": "Merge a ref into a branch with a merge commit, taking the listed paths "
                 "from the merged ref on conflict, and push (repo, branch, merge, "
                 "keep_theirs, message)",
    "git.is-ancestor": "Verify that a ref (e.g. a tag) is an ancestor of a branch "
                       "(repo, ancestor, ref)",
    # -- GitHub: pull requests -----------------------------------------------------------
    "github.pull": "Open a pull request (get-or-create by head and base; include_merged "
                   "also finds a merged one) (repo, head, base, title, body, draft, labels, "
                   "reviewers, include_merged)",
    "github.pull-body-compare": "Keep a section of a pull request's body listing the "
                                "commits of another branch not included in the head "
                                "(repo, head, base, compare_with, section_title, marker, "
                                "ignore_patterns)",
    "github.pr-checks-wait": "Wait until every check of a pull request's head commit "
                             "passed (repo, head, base, include_merged)",
    "github.pull-merge": "Merge a pull request with the given method; done if already "
                         "merged (repo, head, base, method, delete_branch, commit_title, "
                         "commit_message)",
    # -- GitHub: issues and milestones ---------------------------------------------------
    "github.tracking-issue": "Get-or-create the release tracking issue from the issue "
                             "template (repo, title, template, template_ref, replace, "
                             "labels, assign_driver, include_closed)",
    "github.next-tracking-issue": "Get-or-create the tracking issue of the next minor "
                                  "release vX.(Y+1).0 (repo, after_version, title_format, "
                                  "template, template_ref, labels)",
    "github.issue": "Open an issue (get-or-create by title) (repo, title, body, labels, "
                    "include_closed)",
    "github.issue-comment": "Comment on an issue found by title, once (a hidden marker "
                            "makes it get-or-create) (repo, issue_title, marker, body, "
                            "mentions_from, mentions_ref)",
    "github.issue-close": "Close an issue found by title, with a closing comment "
                          "(repo, title, state_reason, comment)",
    "github.milestone-empty": "Verify that a milestone has no open issues or pull "
                              "requests (repo, milestone, missing_ok)",
    "github.issue-checklist": "Tick (or untick) one checklist item of an issue's body "
                              "(repo, issue_title, item, checked)",
    # -- GitHub: tags, releases, workflows -----------------------------------------------
    "github.tag-exists": "Verify through the API that a tag exists and is annotated "
                         "(repo, tag, annotated)",
    "github.release": "Create the GitHub release of a tag (get-or-create), body from a "
                      "template or from the changelog (repo, tag, name, prerelease, draft, "
                      "make_latest, body | body_from_changelog + body_from_ref + "
                      "changelog_heading + strip_header, link_tracking_issue)",
    "github.release-body-contains": "Verify that a release's body links the tracking issue "
                                    "(repo, tag, contains_issue_link)",
    "github.release-body-append": "Append a line (once, by marker) to a release's body, "
                                  "e.g. the forum topic link (repo, tag, discourse_title, "
                                  "marker, text)",
    "github.release-latest": "Verify that a release is the one GitHub marks as latest "
                             "(repo, tag)",
    "github.release-assets": "Verify that a release has the expected assets and their "
                             "checksum files (repo, tag, expected, with_checksums, "
                             "rerun_workflow)",
    "github.workflow-dispatch": "Dispatch a workflow_dispatch workflow once "
                                "(repo, workflow, ref, inputs, skip_if_branch_exists)",
    "github.workflow-run-wait": "Wait for the workflow run matching event/branch (or the "
                                "one dispatched by an earlier action, or the push run after "
                                "a PR merge) to conclude (repo, workflow, event, branch, "
                                "dispatched_by, after_merge_of, inputs, conclusion)",
    "github.job-log-contains": "Verify that a run's job log contains a text, rerunning the "
                               "run if it does not (repo, workflow, run_of, text, "
                               "on_missing, max_reruns)",
    # -- registries and distribution -----------------------------------------------------
    "registry.docker-tag": "Verify that an image tag exists on Docker Hub, optionally with "
                           "the same digest as another tag (image, tag, same_as)",
    "registry.docker-platforms": "Verify that an image tag has a manifest for each "
                                 "platform (image, tag, platforms)",
    "registry.npm-version": "Verify that a package version is published on npm "
                            "(package, version)",
    "registry.npm-dist-tag": "Verify that an npm dist-tag points at a version "
                             "(package, dist_tag, version)",
    "dist.add-version": "Add a version line to a dists/*/versions file on a branch if "
                        "absent, commit and push (repo, branch, path, version, message)",
    "dist.version-listed": "Verify that dist.ipfs.tech lists a version of a distribution "
                           "(dist, version, url)",
    "npm.dependency-bump": "Bump a dependency in package.json and package-lock.json on a "
                           "branch, commit and push (repo, branch, package, version, files, "
                           "resolved, message)",
    # -- changelog -----------------------------------------------------------------------
    "changelog.fill": "Fill one placeholder section of the changelog (generated once, "
                      "never overwritten) on a branch (repo, branch, path, release_heading, "
                      "section, generator, since_tag, until_ref, message)",
    "changelog.check": "Verify that changelog sections of a release are not empty "
                       "(repo, branch, path, release_heading, nonempty_sections)",
    "changelog.next": "Create the changelog file of the next minor release vX.(Y+1) from "
                      "the current one's layout (repo, branch, directory, after_version, "
                      "template_from, message)",
    "changelog.index-link": "Link the next minor release's changelog from CHANGELOG.md "
                            "(repo, branch, path, directory, after_version, message)",
    # -- announcements -------------------------------------------------------------------
    "discourse.topic": "Create a Discourse topic (get-or-create by title) "
                       "(url, category, title, tags, body)",
    "discourse.pin": "Pin a Discourse topic found by title (url, title, globally, "
                     "until_days)",
    "discourse.unpin": "Unpin earlier topics whose title has a prefix, except the current "
                       "one (url, category, title_prefix, keep_title)",
    "matrix.message-seen": "Verify that a message containing a text reached a Matrix room "
                           "(room, contains, within_hours)",
    "reddit.post": "Submit a link post to a subreddit (get-or-create by title) "
                   "(subreddit, title, url, flair)",
    "web.page-contains": "Verify that a public web page contains a text (url, text)",
    # -- staging -------------------------------------------------------------------------
    "staging.outcome": "Ask the driver for the staging comparison's outcome and record it "
                       "as a comment on the staging issue (repo, issue_title, question, "
                       "choices, block_on, comment)",
}

for _name, _summary in DECLARED.items():
    REGISTRY.declare(_name, _summary)
