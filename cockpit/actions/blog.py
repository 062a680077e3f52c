"""The blog kind: add this release to the IPFS blog's release notes, once.

The blog's release-notes page (``src/_blog/releasenotes.md`` in ipfs/ipfs-blog) is a
Markdown file whose YAML front matter holds a ``data:`` list of entries, newest first
(title, date, path, tags); the blog's build turns it into the page and its feed. The
entry is inserted as text right below ``data:`` in the file's own layout, so the pull
request's diff is just the new lines, and the edited front matter is parsed back with
PyYAML before anything is committed, so a broken file is never pushed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import yaml

from cockpit.actions.base import (
    Params,
    Step,
    code_block,
    into_clone,
    register,
    unless_found,
    write_file,
)
from cockpit.actions.git import checkout_file
from cockpit.errors import CockpitError
from cockpit.model import CheckResult

_PLAIN = re.compile(r"^[A-Za-z0-9][\w./:%?=&#+~-]*$")


class BlogEntryParams(Params):
    repo: str
    branch: str
    """The branch the entry is committed to (a pull request into the blog's default
    branch follows)."""
    path: str
    """The release-notes file, e.g. ``src/_blog/releasenotes.md``."""
    entry_title: str
    """The entry's title; an entry with this title (or this URL) means done."""
    date: str = "today"
    """``today`` (UTC, when the entry is written) or ``YYYY-MM-DD``."""
    url: str
    """Where the entry links: the GitHub release."""
    tags: list[str] = []
    message: str
    """Commit message."""


class BlogFormatError(CockpitError, ValueError):
    """The release-notes file is not front matter with a ``data:`` list."""


@dataclass(frozen=True)
class FrontMatter:
    """Where the YAML front matter sits in the file's lines, and what it says."""

    start: int
    end: int
    """Lines ``start+1 .. end-1`` are YAML; ``start`` and ``end`` are the ``---`` lines."""
    data: dict[str, Any]


def front_matter(text: str) -> FrontMatter:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise BlogFormatError("the file does not start with YAML front matter (---)")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise BlogFormatError("the front matter has no closing ---")
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise BlogFormatError(f"the front matter is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise BlogFormatError("the front matter has no `data:` list of entries")
    return FrontMatter(0, end, data)


def has_entry(text: str, title: str, url: str) -> bool:
    """An entry with this title, or linking this URL, is already listed."""
    for entry in front_matter(text).data["data"]:
        if isinstance(entry, dict) and (str(entry.get("title", "")).strip() == title.strip()
                                        or str(entry.get("path", "")).strip() == url.strip()):
            return True
    return False


def _scalar(value: str) -> str:
    """Plain when YAML reads it back unchanged, else single-quoted (as the file does)."""
    if _PLAIN.match(value):
        return value
    return "'" + value.replace("'", "''") + "'"


def entry_lines(indent: str, title: str, day: date, url: str, tags: list[str]) -> list[str]:
    lines = [f"{indent}- title: '{title.replace(chr(39), chr(39) * 2)}'",
             f"{indent}  date: {day.isoformat()}",
             f"{indent}  publish_date:",
             f"{indent}  path: {_scalar(url)}"]
    if tags:
        lines.append(f"{indent}  tags:")
        lines += [f"{indent}    - {_scalar(tag)}" for tag in tags]
    return lines


def with_entry(text: str, title: str, day: date, url: str, tags: list[str]) -> str:
    """``text`` with the entry first in ``data:``; the result is parsed back to be sure."""
    fm = front_matter(text)
    lines = text.splitlines()
    at = next((i for i in range(fm.start + 1, fm.end) if re.match(r"^data:\s*$", lines[i])),
              None)
    if at is None:
        raise BlogFormatError("`data:` is not a block list in the front matter: add the "
                              "entry by hand")
    first_item = next((lines[i] for i in range(at + 1, fm.end)
                       if re.match(r"^\s*- ", lines[i])), None)
    indent = first_item[:len(first_item) - len(first_item.lstrip())] if first_item else "  "
    new_lines = lines[:at + 1] + entry_lines(indent, title, day, url, tags) + lines[at + 1:]
    edited = "\n".join(new_lines) + ("\n" if text.endswith("\n") else "")
    first = front_matter(edited).data["data"][0]
    if not isinstance(first, dict) or first.get("title") != title or \
            str(first.get("path")) != url:
        raise BlogFormatError("the edited front matter does not read back as the new entry")
    return edited


def entry_date(value: str) -> date:
    if value == "today":
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"date must be 'today' or YYYY-MM-DD, not {value!r}") from None


@register
class BlogReleaseEntry(Step[BlogEntryParams]):
    kind = "blog.release-entry"
    summary = "Add a release entry to the blog's release notes on a branch, commit and push"

    def explain(self) -> str:
        p = self.params
        when = "today's date (UTC)" if p.date == "today" else p.date
        return (
            f"Adds the entry \"{p.entry_title}\" with {when}, linking {p.url}, at the top of "
            f"the `data:` list in the front matter of `{p.path}` on `{p.branch}` of "
            f"**{p.repo}**, commits it as \"{p.message}\" and pushes. The blog builds its "
            "release-notes page and feed from that list, which is how blog readers hear of "
            "the release. An entry with that title or URL already there (on the branch, or "
            "already merged into the default branch) counts as done, so a rerun commits "
            "nothing, even on another day.\n\n"
            + code_block(*self._commands())
        )

    def _commands(self) -> list[str]:
        """The entry written with its date, then put right below ``data:`` (indented as
        the blog's entries are: two spaces), as ``with_entry`` does."""
        p = self.params
        today = p.date == "today"
        day = date(2000, 1, 1) if today else entry_date(p.date)
        entry = "\n".join(entry_lines("  ", p.entry_title, day, p.url, p.tags))
        if today:
            entry = entry.replace(day.isoformat(), "TODAY")
        insert = ("NR == FNR {entry = entry $0 \"\\n\"; next} {print} "
                  "/^data:[[:space:]]*$/ && !done {printf \"%s\", entry; done = 1}")
        return [into_clone(self.ctx.settings.clone_url(p.repo), p.repo),
                f"git fetch origin {p.branch}",
                f"git checkout -B {p.branch} origin/{p.branch}",
                f"listed=$(grep -F {_q(p.url)} {p.path} || true)",
                write_file("../entry.yml", entry),
                *(['sed -i "s/TODAY/$(date -u +%F)/" ../entry.yml'] if today else []),
                unless_found("listed", f"awk {_q(insert)} ../entry.yml {p.path} > ../notes.md "
                                       f"&& mv ../notes.md {p.path} && "
                                       f"git commit -m {_q(p.message)} -- {p.path}"),
                f"git push origin {p.branch}   # nothing new: says so"]

    async def check(self) -> CheckResult:
        p = self.params
        try:
            entry_date(p.date)
        except ValueError as exc:
            return CheckResult.failed(str(exc))
        repo = await self.ctx.git(p.repo)
        on_branch = await repo.remote_branch_sha(p.branch) is not None
        ref = f"origin/{p.branch}" if on_branch else "origin/HEAD"
        text = await repo.show_file(ref, p.path)
        if text is None:
            where = p.branch if on_branch else "the default branch"
            return CheckResult.failed(f"{p.path} does not exist on {where} of {p.repo}")
        try:
            present = has_entry(text, p.entry_title, p.url)
        except BlogFormatError as exc:
            return CheckResult.failed(f"{p.path}: {exc}")
        if present:
            where = p.branch if on_branch else "the default branch (merged)"
            return CheckResult.done(f"\"{p.entry_title}\" is listed in {p.path} on {where}")
        if not on_branch:
            return CheckResult.failed(f"branch {p.branch} does not exist in {p.repo}")
        return CheckResult.incomplete(f"{p.path} on {p.branch} has no \"{p.entry_title}\"")

    async def apply(self) -> None:
        p = self.params
        self.ctx.guard_write(f"push {p.branch} to {p.repo}")
        repo = await self.ctx.git(p.repo)
        target, text = await checkout_file(repo, p.branch, p.path)
        if has_entry(text, p.entry_title, p.url):
            return
        target.write_text(with_entry(text, p.entry_title, entry_date(p.date), p.url, p.tags),
                          encoding="utf-8")
        await repo.commit_and_push(p.branch, p.message, p.path)


def _q(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
