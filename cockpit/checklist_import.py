"""`cockpit init`: start from the release checklist a team already keeps.

Teams drop release tools for "a simplified manual checklist" because a list a person reads
costs nothing to adopt. So the cockpit starts from that list: a markdown checklist (GitHub
task lists, nested, with links and code spans, such as a ``RELEASE_ISSUE_TEMPLATE.md``, or
what ``cockpit export --markdown`` writes) becomes a playbook whose every item is a
by-hand action (kind ``manual``), ready to run, journal and share the same day. Automation
comes one action at a time: where an item clearly matches a built-in kind (a tag, a
branch, a pull request, a release, a workflow run, an announcement), the action carries a
TOML comment with that kind and a skeleton of its parameters, so the file still loads
and runs as by-hand steps until someone swaps the kind in.

How the checklist maps (read by markdown-it with the task-list plugin, never by patterns
on the markdown itself):

* a heading with task items under it is a stage (its prose is the stage's summary; a
  heading above it with no items of its own, like "The release", is named in the
  summary); a leading ``1.`` is dropped; marks in a heading are the stage's ``when``;
* each task item is an action: its text (links as their text, code spans kept) is the
  title, its markdown the instructions, its first link the action's link, its fenced
  blocks and its own command-like code spans the text to paste (a sub-item's code spans
  stay in the instructions, read in context: "never `git push --tags`" is no command);
* marks as ``cockpit export`` writes them (``**RC**``, ``**FINAL**``, ``**PATCH**``,
  ``**not …**``, or Kubo's "only-RC"/"not-PATCH" badges) become ``when``; ⚠️ becomes
  ``reversibility = "irreversible"`` (the engine then asks for a typed confirmation);
* nested items are folded into their parent's instructions as a sub-list (they are the
  parent's "how", confirmed with it once), except a nested item with ⚠️ or a mark its
  parent lacks, which becomes an action right after its parent: only an action of its
  own can be skipped for a release or stop for a typed confirmation;
* ``export``'s own decorations (`` — `stage/action` `` ids, `` · [link](…)``, the
  "Manual equivalent" blocks) are read back, so ``init`` after ``export`` gives back the
  same ids, titles and marks.

Without a checklist, ``init --repo OWNER/REPO`` writes a small starter playbook of the
same shape. The TOML values are written by tomli-w; this module adds only the table
headers and the comments, and loads the result with the playbook's own validation
before writing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.tasklists import tasklists_plugin

from cockpit.actions import REGISTRY, load_kinds
from cockpit.errors import BadInput
from cockpit.model import Condition
from cockpit.playbook import Playbook, parse_playbook

WARNING = "⚠️"
"""A point of no return, as Kubo's checklist (and ``cockpit export``) marks it."""

DEFAULT_TEMPLATE = ".github/ISSUE_TEMPLATE/release.md"
"""Where the checklist goes as an issue template, unless it is one already."""
TRACKING_STAGE = "tracking"
"""The (commented) first stage that opens the release's tracking issue."""

_BADGES = {"only-RC": Condition.RC, "only-FINAL": Condition.FINAL,
           "only-PATCH": Condition.PATCH, "not-RC": Condition.NOT_RC,
           "not-FINAL": Condition.NOT_FINAL, "not-PATCH": Condition.NOT_PATCH}
"""Kubo's shields.io badges (``img.shields.io/badge/only-RC-blue``) and what they mean."""

_MARKS = {condition.value.lower(): condition for condition in Condition}
_EXPORT_ID = re.compile(r"^([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)$")
_EXPORT_LEGEND = ("Marks: **RC**", "Ticked from the world")
"""Paragraphs ``cockpit export`` writes under its title for readers, not the playbook's."""

COMMAND_WORDS = frozenset({
    "git", "gh", "make", "npm", "npx", "yarn", "pnpm", "go", "python", "python3", "pip",
    "pipx", "uv", "twine", "hatch", "tox", "nox", "poetry", "cargo", "docker", "podman",
    "curl", "gpg", "ipfs", "kubo", "bash", "sh", "zsh", "just", "mvn", "gradle", "helm",
    "kubectl", "rake", "bundle", "gem", "dotnet", "sed", "jq"})
"""First words that make a code span a command to paste (``make release``), not a name
(``version.go``)."""


class ChecklistError(BadInput):
    """A checklist ``init`` cannot read or import, or an output it will not overwrite."""


# -- what the checklist says -------------------------------------------------------------


@dataclass
class Item:
    """One task item, as the reader understood it."""

    title: str
    body: str
    when: list[Condition] = field(default_factory=list)
    irreversible: bool = False
    link: str = ""
    commands: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    """Markdown lines under the item: folded sub-items, notes."""
    id: str = ""
    """The id ``cockpit export`` wrote (`` — `stage/action` ``), else empty."""
    stage_id: str = ""


@dataclass
class Section:
    """A heading and the items under it: a stage."""

    title: str
    when: list[Condition] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    """The headings above it (without items of their own), outermost first."""
    prose: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


@dataclass
class Checklist:
    title: str = ""
    description: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return sum(len(section.items) for section in self.sections)


def read_checklist(text: str) -> Checklist:
    """The checklist's headings, prose and task items (sections without items dropped)."""
    parser = MarkdownIt("gfm-like").use(tasklists_plugin)
    reader = _Reader(text.splitlines())
    for node in SyntaxTreeNode(parser.parse(text)).children:
        reader.block(node)
    found = reader.checklist
    found.sections = [section for section in found.sections if section.items]
    return found


class _Reader:
    """Walks the top-level blocks in order, filing each into the checklist."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.checklist = Checklist()
        self.headings: list[tuple[int, str]] = []
        self.section: Section | None = None

    def block(self, node: SyntaxTreeNode) -> None:
        if node.type == "heading":
            self.heading(int(node.tag[1]), _inline_tokens(node))
        elif node.type in ("bullet_list", "ordered_list"):
            items = list(_items(node, [], False, ""))
            if items:
                self.current().items += items
            elif self.section is not None:
                self.section.prose.append(self.source(node))
        elif node.type in ("paragraph", "blockquote", "fence", "table"):
            self.prose(self.source(node))

    def heading(self, level: int, tokens: list[Token]) -> None:
        if tokens and tokens[0].type == "text":  # "3. **FINAL** Tag": the number first
            tokens = [_text(_number_dropped(tokens[0].content.lstrip())), *tokens[1:]]
        when, _warning, rest = _leading_marks(tokens)  # a stage is not a point of no return
        title = _plain(rest).strip()
        if level == 1 and not self.checklist.title and self.section is None:
            self.checklist.title = title
            return
        self.headings = [(lvl, text) for lvl, text in self.headings if lvl < level]
        context = [text for _, text in self.headings]
        self.headings.append((level, title))
        self.section = Section(title, when, context)
        self.checklist.sections.append(self.section)

    def prose(self, text: str) -> None:
        if self.section is not None:
            self.section.prose.append(text)
        elif not text.startswith(_EXPORT_LEGEND):
            self.checklist.description.append(text)

    def current(self) -> Section:
        if self.section is None:
            self.section = Section(self.checklist.title or "Checklist")
            self.checklist.sections.append(self.section)
        return self.section

    def source(self, node: SyntaxTreeNode) -> str:
        start, end = node.map or (0, 0)
        return "\n".join(self.lines[start:end]).strip()


def _inline_tokens(node: SyntaxTreeNode) -> list[Token]:
    """The inline tokens of a heading or paragraph node."""
    inline = node.children[0] if node.children else None
    if inline is None or inline.token is None:
        return []
    return list(inline.token.children or [])


def _is_task(node: SyntaxTreeNode) -> bool:
    return "task-list-item" in str(node.attrs.get("class", ""))


def _items(lst: SyntaxTreeNode, when: list[Condition], irreversible: bool, context: str
           ) -> Iterator[Item]:
    """The task items of a list. A plain bullet holding task items (Kubo's "Upgrade Go in:")
    passes its marks and its text on to them."""
    for node in lst.children:
        tokens = _first_line(node)
        if _is_task(node):
            yield from _task(node, tokens, when, irreversible, context)
            continue
        own, warn, rest = _leading_marks(tokens)
        text = _markdown(rest).strip()
        for nested in (c for c in node.children if c.type in ("bullet_list", "ordered_list")):
            yield from _items(nested, _merged(when, own), irreversible or warn, text)


def _task(node: SyntaxTreeNode, tokens: list[Token], when: list[Condition],
          irreversible: bool, context: str) -> Iterator[Item]:
    """One task item, then any nested item that needed an action of its own."""
    own, warn, rest = _leading_marks(tokens[1:])  # [0] is the checkbox
    item = Item(title="", body="", when=_merged(when, own), irreversible=irreversible or warn)
    rest = _export_suffix(item, rest)
    before = _before_details(rest)
    item.title = _plain(before).strip()
    item.body = "\n\n".join(part for part in (_markdown(before).strip(),
                                               _markdown(rest[len(before):]).strip()) if part)
    if context:
        item.details.append(f"Part of: {context}")
    item.link = item.link or next((str(t.attrs["href"]) for t in rest
                                   if t.type == "link_open" and t.attrs.get("href")), "")
    item.commands += _commands(rest)
    promoted: list[Item] = []
    for child in node.children[1:]:
        _fold(child, item, promoted)
    yield item
    yield from promoted


def _fold(child: SyntaxTreeNode, item: Item, promoted: list[Item]) -> None:
    """A block inside an item: its fenced commands, its notes, its sub-items."""
    if child.type == "fence":
        item.commands.append(child.content.rstrip("\n"))
    elif child.type == "paragraph":
        item.details.append(_markdown(_inline_tokens(child)).strip())
    elif child.type in ("bullet_list", "ordered_list"):
        for sub, depth, own in _walk(child, 0, item.when):
            if own:
                promoted += _task(sub, _first_line(sub), item.when, False, item.title)
                continue
            task = _is_task(sub)
            tokens = _first_line(sub)
            _, _, rest = _leading_marks(tokens[1:] if task else tokens)
            box = "- [ ] " if task else "- "
            item.details.append("  " * depth + box + _markdown(rest).strip())


def _walk(lst: SyntaxTreeNode, depth: int, when: list[Condition]
          ) -> Iterator[tuple[SyntaxTreeNode, int, bool]]:
    """The list items of a folded list, depth first, each with whether it needs an action
    of its own: ⚠️, or a mark its parent does not have (Kubo repeats the parent's marks on
    every sub-item; those say nothing new). Such an item keeps its own children."""
    for node in lst.children:
        tokens = _first_line(node)
        marks, warning, _ = _leading_marks(tokens[1:] if _is_task(node) else tokens)
        own = _is_task(node) and (warning or not set(marks) <= set(when))
        yield node, depth, own
        if own:
            continue
        for nested in (c for c in node.children if c.type in ("bullet_list", "ordered_list")):
            yield from _walk(nested, depth + 1, when)


def _first_line(node: SyntaxTreeNode) -> list[Token]:
    """A list item's own text (its first paragraph's inline tokens)."""
    first = node.children[0] if node.children else None
    return _inline_tokens(first) if first is not None and first.type == "paragraph" else []


def _merged(first: Sequence[Condition], then: Iterable[Condition]) -> list[Condition]:
    return [*first, *(c for c in then if c not in first)]


# -- inline text -------------------------------------------------------------------------


def _leading_marks(tokens: list[Token]) -> tuple[list[Condition], bool, list[Token]]:
    """The marks at the start of an item or heading (``⚠️``, ``**RC**``, Kubo's badges),
    and the tokens after them."""
    when: list[Condition] = []
    warning = False
    rest = list(tokens)
    while rest:
        first = rest[0]
        if first.type == "text" and not first.content.strip():
            rest.pop(0)
        elif first.type == "text" and first.content.lstrip().startswith(WARNING):
            warning = True
            rest[0] = _text(first.content.lstrip().removeprefix(WARNING))
        elif (first.type == "strong_open" and len(rest) > 2 and rest[1].type == "text"
              and rest[1].content.strip().lower() in _MARKS and rest[2].type == "strong_close"):
            when = _merged(when, [_MARKS[rest[1].content.strip().lower()]])
            del rest[:3]
        elif first.type == "image" and (badge := _badge(first)) is not None:
            when = _merged(when, [badge])
            rest.pop(0)
        else:
            break
    if rest and rest[0].type == "text":
        rest[0] = _text(rest[0].content.lstrip())
    return when, warning, rest


def _badge(image: Token) -> Condition | None:
    src = str(image.attrs.get("src", ""))
    return next((c for name, c in _BADGES.items() if f"/badge/{name}-" in src), None)


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


def _export_suffix(item: Item, tokens: list[Token]) -> list[Token]:
    """Read back what ``cockpit export`` appends to an item: `` · [link](URL)``, a
    ``(skipped)`` note and `` — `stage/action` ``. Returns the tokens before them."""
    if len(tokens) < 2 or tokens[-1].type != "code_inline" or tokens[-2].type != "text":
        return tokens
    found = _EXPORT_ID.match(tokens[-1].content)
    before = tokens[-2].content
    if found is None or not before.endswith(" — "):
        return tokens
    item.stage_id, item.id = found.groups()
    rest = [*tokens[:-2], _text(before.removesuffix(" — "))]
    rest[-1] = _text(rest[-1].content.removesuffix(" (skipped)"))  # a ticked export's note
    if (len(rest) >= 5 and rest[-4].type == "link_open" and rest[-3].content == "link"
            and rest[-2].type == "link_close" and rest[-5].type == "text"
            and rest[-5].content.endswith(" · ") and not rest[-1].content.strip()):
        item.link = str(rest[-4].attrs.get("href", ""))
        rest = [*rest[:-5], _text(rest[-5].content.removesuffix(" · "))]
    return [t for t in rest if t.type != "text" or t.content]


def _before_details(tokens: list[Token]) -> list[Token]:
    """The tokens before an inline ``<details>`` (Kubo folds each item's "how" in one)."""
    for index, token in enumerate(tokens):
        if token.type == "html_inline" and token.content.lower().startswith("<details"):
            return tokens[:index]
    return tokens


def _folding(token: Token) -> bool:
    """An inline ``<details>``/``<summary>`` tag (one html_inline token): the folding is
    the checklist's layout; the text inside is kept."""
    name = token.content.strip("<>/ \n").split(" ", 1)[0].lower()
    return name in ("details", "summary")


def _plain(tokens: Iterable[Token]) -> str:
    """A title: the words, code spans kept in backticks; links as their text."""
    out = []
    for token in tokens:
        if token.type == "text":
            out.append(token.content)
        elif token.type == "code_inline":
            out.append(f"{token.markup}{token.content}{token.markup}")
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return re.sub(r"\s+", " ", "".join(out))


def _markdown(tokens: Iterable[Token]) -> str:
    """The markdown of inline tokens, links and emphasis included."""
    out: list[str] = []
    links: list[str] = []
    for token in tokens:
        if token.type == "text":
            out.append(token.content)
        elif token.type == "code_inline":
            out.append(f"{token.markup}{token.content}{token.markup}")
        elif token.type in ("strong_open", "strong_close", "em_open", "em_close",
                            "s_open", "s_close"):
            out.append(token.markup)
        elif token.type == "link_open":
            links.append(str(token.attrs.get("href", "")))
            out.append("[")
        elif token.type == "link_close":
            out.append(f"]({links.pop() if links else ''})")
        elif token.type == "image":
            out.append(f"![{token.content}]({token.attrs.get('src', '')})")
        elif token.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif token.type == "html_inline" and not _folding(token):
            out.append(token.content)
    return "".join(out)


def _commands(tokens: Iterable[Token]) -> list[str]:
    """The code spans that are commands to run (``git push origin vX.Y.Z``)."""
    found = []
    for token in tokens:
        if token.type != "code_inline":
            continue
        words = token.content.split()
        if len(words) > 1 and (words[0] in COMMAND_WORDS or words[0].startswith("./")):
            found.append(token.content)
    return found


def _number_dropped(title: str) -> str:
    """``3. Tag`` → ``Tag``: export numbers its stages; the playbook's order is the number."""
    head, dot, rest = title.partition(". ")
    return rest if dot and head.isdigit() else title


# -- proposed kinds ----------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    kind: str
    why: str
    """Which words of the item suggested it."""


_RULES: list[tuple[str, tuple[frozenset[str], ...], str]] = [
    ("github.release", (frozenset({"github", "release"}), frozenset({"release", "notes",
                                                                      "publish"})),
     "a GitHub release"),
    ("git.tag", (frozenset({"tag", "push"}), frozenset({"tag", "create"}),
                 frozenset({"tag", "sign"}), frozenset({"git", "tag"})), "a git tag"),
    ("github.pull-merge", (frozenset({"merge", "pr"}), frozenset({"merge", "pull", "request"})),
     "merging a pull request"),
    ("github.pull", (frozenset({"pr"}), frozenset({"pull", "request"})), "a pull request"),
    ("git.branch", (frozenset({"branch", "create"}), frozenset({"branch", "cut"}),
                    frozenset({"branch", "new"})), "a branch"),
    ("github.workflow-run-wait", (frozenset({"wait", "workflow"}), frozenset({"wait", "ci"}),
                                  frozenset({"ci", "green"}), frozenset({"ci", "pass"})),
     "waiting for a workflow run"),
    ("github.workflow-dispatch", (frozenset({"run", "workflow"}),
                                  frozenset({"trigger", "workflow"}),
                                  frozenset({"dispatch", "workflow"})), "starting a workflow"),
    ("discourse.topic", (frozenset({"discourse"}), frozenset({"forum"}),
                         frozenset({"announce"}), frozenset({"announcement"})),
     "an announcement"),
    ("reddit.post", (frozenset({"reddit"}),), "a Reddit post"),
]
"""Kind, the word sets that suggest it (any set, every word in it), and what it is."""


def propose(item: Item) -> Proposal | None:
    """The built-in kind an item clearly is, by the words of its title (None: by hand)."""
    words = set(re.findall(r"[a-z0-9]+", item.title.lower()))
    for kind, needs, what in _RULES:
        for need in needs:
            if need <= words:
                return Proposal(kind, f"{what} ({', '.join(sorted(need))})")
    return None


def _skeleton(kind: str, item: Item, repo: str) -> dict[str, Any]:
    """The kind's required parameters, filled where the item or ``--repo`` says."""
    load_kinds()
    info = REGISTRY.get(kind)
    model = info.params_model if info is not None else None
    if model is None:
        return {}
    workflow = next((c for c in _code_spans(item.body) if c.endswith((".yml", ".yaml"))),
                    "WORKFLOW.yml")
    known: dict[str, Any] = {
        "repo": "{repo}" if repo else "OWNER/REPO", "tag": "{version.tag}",
        "name": "{version.tag}", "ref": "main", "base": "main",
        "branch": "release-{version.base}", "head": "release-{version.base}",
        "message": "Release {version.tag}", "title": "Release {version.tag}",
        "workflow": workflow, "event": "push", "url": item.link or "https://…",
        "body": "…", "category": "announcements", "subreddit": "…"}
    return {name: known.get(name, "…") for name, spec in model.model_fields.items()
            if spec.is_required()}


def _code_spans(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parseInline(markdown)
    return [t.content for tok in tokens for t in (tok.children or []) if t.type == "code_inline"]


# -- the playbook ------------------------------------------------------------------------


def slug(text: str, limit: int = 32) -> str:
    """``Push the signed tag `vX.Y.Z``` → ``push-the-signed-tag-vx-y-z``: an id of whole
    words, about ``limit`` characters at most."""
    found = ""
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if found and len(found) + 1 + len(word) > limit:
            break
        found = f"{found}-{word}" if found else word
    return found or "step"


def _unique(wanted: str, taken: set[str]) -> str:
    found, number = wanted, 2
    while found in taken:
        found, number = f"{wanted}-{number}", number + 1
    taken.add(found)
    return found


def _escaped(text: str) -> str:
    """Parameters are templates: a brace in the checklist's text stays a brace."""
    return text.replace("{", "{{").replace("}", "}}")


@dataclass
class Imported:
    """The playbook ``init`` wrote: its text, the loaded playbook, and what it proposed."""

    text: str
    playbook: Playbook
    proposals: int


def to_playbook(checklist: Checklist, *, name: str, source: str, repo: str = "",
                template: str = DEFAULT_TEMPLATE) -> Imported:
    """The checklist as playbook TOML (checked by the playbook's own loader); ``template``
    is where the checklist would live in the repository as an issue template."""
    stage_ids = {TRACKING_STAGE}
    out = [*_preamble(source), _dump({"name": name, "title": checklist.title or name,
                                      "description": _description(checklist, source)})]
    if repo:
        out += ["", "[vars]", _dump({"repo": repo})]
    out += _tracking_comment(repo, template)
    proposals = 0
    for section in checklist.sections:
        wanted = next((i.stage_id for i in section.items if i.stage_id), "") or slug(section.title)
        stage_id = _unique(wanted, stage_ids)
        out += ["", "[[stages]]", _dump(_stage(section, stage_id)), *_when(section.when)]
        action_ids: set[str] = set()
        for item in section.items:
            lines, proposed = _action(item, _unique(item.id or slug(item.title), action_ids),
                                      repo)
            out += lines
            proposals += proposed
    text = "\n".join(out).rstrip() + "\n"
    return Imported(text, parse_playbook(text, f"{name}.toml"), proposals)


def _tracking_comment(repo: str, template: str) -> list[str]:
    """A commented first stage opening the release's tracking issue from the checklist (as
    an issue template in the repository): it turns on the journal and the stage locks that
    several machines share, and the shadow. Commented, because the template must be pushed
    to the repository first."""
    stage = {"id": TRACKING_STAGE, "title": "Tracking issue",
             "summary": "The release's tracking issue, opened from the checklist: the "
                        "journal and the stage locks every machine shares."}
    action = {"id": "tracking-issue", "kind": "github.tracking-issue",
              "title": "Tracking issue \"Release vX.Y.Z\" exists"}
    params = {"repo": "{repo}" if repo else "OWNER/REPO", "title": "Release {version.tag}",
              "template": template, "template_ref": "main", "assign_driver": True}
    block = ["[[stages]]", _dump(stage), "", "[[stages.actions]]", _dump(action),
             "[stages.actions.params]", _dump(params)]
    return ["", "# Track the release on a GitHub issue (a journal and a lock per stage shared by",
            "# every machine, `cockpit --shadow` to follow it): once this checklist is an issue",
            "# template in the repository, uncomment this stage (it comes first).",
            *(f"# {line}".rstrip() for chunk in block for line in chunk.splitlines())]


def _preamble(source: str) -> list[str]:
    return [f"# Imported by `cockpit init` from {source}.",
            "#",
            "# Every action is done by hand (kind \"manual\"): the cockpit shows its instructions,",
            "# waits for you to press Done and journals it, so a rerun on any machine knows.",
            "# Try it: cockpit explain --playbook THIS_FILE, then",
            "#   cockpit run STAGE --playbook THIS_FILE --release vX.Y.Z",
            "# Automate one action at a time: where a comment proposes a built-in kind, replace",
            "# kind = \"manual\" and the params with the ones it shows, then `cockpit explain",
            "# STAGE/ACTION` says what the kind checks and does. `when` narrows an action to RC,",
            "# FINAL or PATCH releases (or \"not …\"); parameters are templates ({version.tag},",
            "# {repo}): write a literal brace as {{ or }}.",
            ""]


def _description(checklist: Checklist, source: str) -> str:
    text = "\n\n".join(checklist.description).strip()
    return text or f"Imported from {source}."


def _stage(section: Section, stage_id: str) -> dict[str, Any]:
    summary = "\n\n".join(section.prose).strip()
    if section.context:
        summary = f"Part of: {' / '.join(section.context)}.\n\n{summary}".strip()
    stage: dict[str, Any] = {"id": stage_id, "title": section.title,
                             "summary": summary or f"{section.title}, from the checklist."}
    return stage


def _action(item: Item, action_id: str, repo: str) -> tuple[list[str], int]:
    action: dict[str, Any] = {"id": action_id, "kind": "manual", "title": item.title}
    if item.irreversible:
        action["reversibility"] = "irreversible"
    params = {"instructions": _escaped("\n\n".join([item.body or item.title, *_grouped(item)]))}
    if item.commands:
        params["copy_text"] = _escaped("\n".join(_once(item.commands)))
    if item.link:
        params["link"] = _escaped(item.link)
    lines = ["", "[[stages.actions]]", _dump(action), *_when(item.when)]
    proposal = propose(item)
    if proposal is not None:
        lines += _proposal_comment(proposal, item, repo)
    return [*lines, "[stages.actions.params]", _dump(params)], int(proposal is not None)


def _once(commands: list[str]) -> list[str]:
    """Each line once (blank lines kept): a command in the text and in a fenced block
    (as ``export`` writes both) is pasted once."""
    seen: set[str] = set()
    lines = []
    for line in (line for command in commands for line in command.splitlines()):
        if line.strip() and line in seen:
            continue
        seen.add(line)
        lines.append(line)
    return lines


def _grouped(item: Item) -> list[str]:
    """The item's details: consecutive list lines stay one list."""
    blocks: list[str] = []
    for line in item.details:
        if blocks and line.lstrip().startswith("- ") and blocks[-1].lstrip().startswith("- "):
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return blocks


def _proposal_comment(proposal: Proposal, item: Item, repo: str) -> list[str]:
    params = _dump(_skeleton(proposal.kind, item, repo)).splitlines()
    return [f"# Proposed kind: {proposal.kind}, for {proposal.why}.",
            '# To automate this step, replace kind = "manual" and its params with (then check',
            "# the values; `cockpit explain STAGE/ACTION` says what the kind does):",
            f'#   kind = "{proposal.kind}"', "#   [stages.actions.params]",
            *(f"#   {line}" for line in params)]


def _when(conditions: list[Condition]) -> list[str]:
    """``when = ["FINAL", "not PATCH"]`` on one line (tomli-w writes one element a line)."""
    if not conditions:
        return []
    values = (_dump({"x": c.value}).removeprefix("x = ") for c in conditions)
    return [f"when = [{', '.join(values)}]"]


def _dump(values: dict[str, Any]) -> str:
    return tomli_w.dumps(values, multiline_strings=True).rstrip()


# -- the verb ----------------------------------------------------------------------------


STARTER = """\
# Release {repo}

A starter release playbook for {repo}, every step by hand: edit the steps to match how
you release, then automate them one at a time with the kinds proposed in the comments.

## Before the release

- [ ] Check that CI is green on the default branch
- [ ] Update the changelog for vX.Y.Z through a pull request, and merge it

## Tag

- [ ] {warning} Create the signed tag vX.Y.Z and push it: `git tag -s vX.Y.Z -m 'Release vX.Y.Z'`

## Publish

- [ ] {warning} Publish the GitHub release for vX.Y.Z with the changelog as its notes

## Announce

- [ ] **not RC** Announce the release on the forum
"""
"""The checklist ``init --repo`` starts from without ``--from``: a small library's release."""


def init(source: Path | None, repo: str, output: Path | None, *, force: bool = False,
         cwd: Path | None = None) -> tuple[Path, Imported]:
    """``cockpit init``: read ``source`` (or the starter), write the playbook, return it."""
    if repo and not re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", repo):
        raise ChecklistError(f"--repo takes OWNER/REPO (like acme/widgets), not {repo!r}")
    if source is None and not repo:
        raise ChecklistError("init needs --from CHECKLIST.md (your checklist) or --repo "
                             "OWNER/REPO (a starter playbook)")
    if source is None:
        text, shown = STARTER.format(repo=repo, warning=WARNING), "the starter checklist"
    else:
        text, shown = _read(source), str(source)
    checklist = read_checklist(text)
    if checklist.item_count == 0:
        raise ChecklistError(f"{shown} has no task items (`- [ ] …` lines): nothing to turn "
                             "into actions; a checklist is a GitHub task list")
    name = _name(checklist, source, repo)
    target = output or (cwd / f"{name}.toml" if cwd else Path(f"{name}.toml"))
    if target.exists() and not force:
        raise ChecklistError(f"{target} exists: pass --force to overwrite it, or -o to write "
                             "another file")
    imported = to_playbook(checklist, name=name, source=shown, repo=repo,
                           template=_template_path(source))
    target.write_text(imported.text, encoding="utf-8")
    return target, imported


def _template_path(source: Path | None) -> str:
    """Where the checklist sits as an issue template: its own path from ``.github/`` when
    it is one already, else ``.github/ISSUE_TEMPLATE/<its name>``."""
    if source is None:
        return DEFAULT_TEMPLATE
    parts = source.resolve().parts
    if ".github" in parts:
        return "/".join(parts[parts.index(".github"):])
    return f".github/ISSUE_TEMPLATE/{source.name}"


def _read(source: Path) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChecklistError(f"{source}: no such file (--from takes your markdown "
                             "checklist)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistError(f"{source}: cannot read it: {exc}") from None


def _name(checklist: Checklist, source: Path | None, repo: str) -> str:
    """The playbook's name (and file): the repository's, else the checklist's title's."""
    if repo:
        return slug(repo.split("/", 1)[1])
    if checklist.title:
        return slug(checklist.title, limit=24)
    return slug(source.stem if source else "release", limit=24)
