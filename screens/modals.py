"""Modal dialogs: the four prompt kinds, the error dialog and the help screen.

Every prompt dialog has the same three parts, so it fits a terminal of 80x24: the full
title (wrapped, never cut), a body that scrolls (the message, the details, the link), and
a row of buttons that is always visible. Each button names its key. Nothing is answered
by Enter alone: the dialog opens with its body focused (arrows scroll it), so an answer
is a button's key, a click, or Enter on a button the human moved to (Tab). Escape is the
answer that changes nothing (No, Not yet, Abort).

Every prompt dialog hands its answer to ``on_answer`` (the prompter's future) and closes.
The manual one closes once the action's check after Done has run, and says in a
notification whether it passed; a check that did not pass is followed by the engine's
"what now?" prompt, so no verdict dialog is left behind for the next prompt to cover.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Markdown, Static, TextArea

from cockpit.model import CheckResult, Status
from cockpit.prompts import Choose, Confirm, Manual, Prompt, PromptAnswer, TextInput
from cockpit.states import GLYPHS, POINT_OF_NO_RETURN, POINT_OF_NO_RETURN_MEANING, STATE_MEANINGS

AnswerFn = Callable[[PromptAnswer], None]
Verify = Callable[[], Awaitable[CheckResult]]


def keyed(label: str, key: str, *, id: str, variant: str = "default",
          disabled: bool = False) -> Button:
    """A button whose label names the key that presses it: ``Done (d)``."""
    return Button(f"{label} ({key})", id=id, variant=variant,  # type: ignore[arg-type]
                  disabled=disabled)


def fit_body(screen: Screen[Any]) -> None:
    """Give the dialog's scrolling body what the screen has left once the title, the
    controls and the buttons are laid out, so those stay visible down to 80x24.

    CSS cannot say it: a ``1fr`` body in an auto-height dialog takes the dialog's maximum
    height, and a body docked against the buttons hides its last lines under them.
    """
    dialog = screen.query_one(".dialog")
    body = screen.query_one(".modal-body")
    fixed = sum(child.outer_size.height for child in dialog.children
                if child is not body and child.display)
    body.styles.max_height = max(3, screen.size.height - dialog.styles.gutter.height - fixed)
    screen.call_after_refresh(say_if_more_below, dialog, body)


def refit(widget: Widget) -> None:
    """Fit the dialog's body again once the layout has settled."""
    widget.screen.call_after_refresh(fit_body, widget.screen)


class DialogTitle(Static):
    """The dialog's title, wrapped; a change of its height refits the body."""

    def on_resize(self) -> None:
        refit(self)


class DialogControls(Vertical):
    """What stays visible between the body and the buttons (a field, a verdict)."""

    def on_resize(self) -> None:
        refit(self)


class DialogButtons(Horizontal):
    def on_resize(self) -> None:
        refit(self)


def say_if_more_below(dialog: Widget, body: Widget) -> None:
    """A body with more below what shows says so on the dialog's bottom border."""
    dialog.border_subtitle = ("more below: ↓ PgDn End" if body.scroll_y < body.max_scroll_y
                              else "")


class DialogBody(VerticalScroll):
    """The part of a dialog that scrolls (arrows, PgUp/PgDn, Home/End, the wheel)."""

    DEFAULT_CSS = "DialogBody { max-height: 50vh; }"
    """Until ``fit_body`` has measured the rest: the first frame shows the buttons too."""

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if isinstance(self.parent, Widget):
            say_if_more_below(self.parent, self)


class PromptModal(ModalScreen[PromptAnswer | None]):
    """Base: title, scrolling body, fixed controls and buttons for one prompt."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = ""
    """Nothing is focused by Textual: ``on_mount`` focuses the body (or the text field)."""
    kind = ""

    def __init__(self, prompt: Prompt, on_answer: AnswerFn) -> None:
        super().__init__(classes="prompt-modal")
        self.prompt = prompt
        self.on_answer = on_answer
        self.keys: dict[str, str] = {}
        """Key → id of the button it presses."""
        self.answered: PromptAnswer | None = None
        self.on_closed: Callable[[], None] | None = None
        """Called once the dialog has left the screen (the prompter's next prompt may show)."""
        self._withdrawn = False
        self._close_with: PromptAnswer | None = None
        self._leaving = False
        self.queued = 0
        """Questions asked after this one, waiting for it to close."""

    def compose(self) -> ComposeResult:
        with Vertical(classes=f"dialog {self.kind}"):
            yield DialogTitle(self.prompt.title, classes="modal-title", markup=False)
            with DialogBody(classes="modal-body"):
                yield Static(self.prompt.message, classes="modal-message", markup=False)
                yield from self.body()
                yield Label(f"prompt {self.prompt.id}", classes="modal-id")
            with DialogControls(classes="modal-controls"):
                yield from self.controls()
            with DialogButtons(classes="buttons"):
                yield from self.buttons()

    def body(self) -> ComposeResult:
        """What scrolls: details, instructions, text to copy, the link."""
        yield from ()

    def controls(self) -> ComposeResult:
        """What stays visible above the buttons: a field to type in, a verdict."""
        yield from ()

    def buttons(self) -> Iterable[Button]:
        return ()

    def key(self, key: str, button: Button) -> Button:
        assert button.id is not None
        self.keys[key] = button.id
        return button

    def on_mount(self) -> None:
        self.show_waiting(self.queued)
        self.prepare()

    def show_waiting(self, count: int) -> None:
        """Say on the dialog's top border how many more questions wait for this one."""
        self.queued = count
        try:
            dialog = self.query_one(".dialog")
        except NoMatches:  # not composed yet: on_mount says it
            return
        dialog.border_title = (f"{count} more question{'s' if count > 1 else ''} waiting"
                               if count else "")

    def prepare(self) -> None:
        """Set the dialog up once mounted: what shows, what has focus (a plain method:
        Textual calls ``on_mount`` of every class in the hierarchy)."""
        self.focus_body()

    def focus_body(self) -> None:
        self.query_one(".modal-body").focus()

    def on_resize(self) -> None:
        self.refit()

    def refit(self) -> None:
        """Fit the body again once the layout settles (after a resize, or after a control
        showed or hid)."""
        refit(self)

    def on_key(self, event: events.Key) -> None:
        """A button's key presses it, unless a text field has the key."""
        target = self.keys.get(event.key)
        if target is None or isinstance(self.focused, Input):
            return
        button = self.query_one(f"#{target}", Button)
        if button.display and not button.disabled:
            event.stop()
            button.press()

    def answer(self, value: bool | str, note: str = "", *, close: bool = True) -> None:
        if self.answered is not None:
            return
        self.answered = result = PromptAnswer(value=value, note=note)
        self.on_answer(result)
        if close:
            self.close(result)

    def action_cancel(self) -> None:
        self.answer(False)

    def close(self, result: PromptAnswer | None) -> None:
        """Leave the screen, once: now if this dialog is on top, else as soon as what
        covers it (the help, the quit question) is closed. (Not ``is_current``: it is
        also true under a modal, where ``dismiss`` would pop the modal above instead.)"""
        if self._leaving:
            return
        if self.app.screen is not self:
            self._withdrawn, self._close_with = True, result
            return
        self._leaving = True
        self.dismiss(result)

    def withdraw(self) -> None:
        """The question is no longer asked (its stage was cancelled)."""
        self.close(None)

    def on_screen_resume(self) -> None:
        """Uncovered after its question was withdrawn (or answered): close now."""
        if self._withdrawn:
            self._withdrawn = False
            self.call_after_refresh(self.close, self._close_with)

    def on_unmount(self) -> None:
        if self.on_closed is not None:
            self.on_closed()


class ConfirmModal(PromptModal):
    """Yes/no about one exact thing; a point of no return needs the confirmation typed."""

    prompt: Confirm
    kind = "confirm"

    def body(self) -> ComposeResult:
        if self.prompt.detail:
            yield Static(self.prompt.detail, classes="modal-detail", markup=False)

    def controls(self) -> ComposeResult:
        typed = self.prompt.typed_confirmation
        if typed:
            yield Label(f"Type {typed} to go ahead:", classes="modal-hint")
            yield Input(id="typed")

    def buttons(self) -> Iterable[Button]:
        typed = bool(self.prompt.typed_confirmation)
        yield self.key("y", keyed("Yes, go ahead", "y", id="yes",
                                  variant="error" if typed else "primary", disabled=typed))
        yield self.key("n", keyed("No", "n", id="no"))

    def prepare(self) -> None:
        if self.prompt.typed_confirmation:
            self.query_one("#typed", Input).focus()
        else:
            self.focus_body()

    @on(Input.Changed, "#typed")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = (
            event.value.strip() != self.prompt.typed_confirmation)

    @on(Input.Submitted, "#typed")
    def _typed_enter(self, event: Input.Submitted) -> None:
        """Enter after the typed confirmation moves to "Yes" (one more Enter or y says it);
        it never answers by itself."""
        yes = self.query_one("#yes", Button)
        if not yes.disabled:
            yes.focus()

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.answer(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.answer(False)


class ChooseModal(PromptModal):
    """Pick one of a list, each choice a button with its key; "skip" asks why first."""

    prompt: Choose
    kind = "choose"

    def controls(self) -> ComposeResult:
        yield Input(placeholder="why skip? (a skip needs a reason; Enter to skip)", id="note")

    def buttons(self) -> Iterable[Button]:
        keys = choice_keys(self.prompt.choices)
        for number, (choice, key) in enumerate(zip(self.prompt.choices, keys, strict=True)):
            variant = "error" if choice == "abort" else "default"
            yield self.key(key, keyed(choice, key, id=f"choice-{number}", variant=variant))

    def prepare(self) -> None:
        self.query_one("#note", Input).display = False
        if not _fits(self.prompt.choices, self.app.size.width - 10):
            self.query_one(".buttons").add_class("stacked")
        self.focus_body()

    @on(Button.Pressed, ".buttons Button")
    def _picked(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        choice = self.prompt.choices[int(event.button.id.removeprefix("choice-"))]
        if choice == "skip":
            note = self.query_one("#note", Input)
            note.display = True
            note.focus()
            self.refit()
            return
        self.answer(choice)

    @on(Input.Submitted, "#note")
    def _note(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.answer("skip", event.value.strip())

    def action_cancel(self) -> None:
        note = self.query_one("#note", Input)
        if note.display:
            note.display = False
            self.focus_body()
            self.refit()
        elif "abort" in self.prompt.choices:
            self.answer("abort")
        else:
            self.notify("pick one of the choices (each button names its key)")


def choice_keys(choices: list[str]) -> list[str]:
    """Each choice's key: its first letter when no other choice starts with it, else its
    number (1-9)."""
    firsts = [choice[:1].lower() for choice in choices]
    return [first if first.isalpha() and firsts.count(first) == 1 else str(number)
            for number, first in enumerate(firsts, 1)]


def _fits(labels: list[str], width: int) -> bool:
    """Whether the labels' buttons fit on one row of ``width`` cells."""
    return sum(max(len(label) + 8, 16) + 1 for label in labels) <= width


class TextModal(PromptModal):
    """A line of text; Enter in the field submits what was typed there."""

    prompt: TextInput
    kind = "text"

    def controls(self) -> ComposeResult:
        yield Input(value=self.prompt.default, id="text")
        yield Label("", id="text-error", classes="modal-error")

    def buttons(self) -> Iterable[Button]:
        yield keyed("OK", "Enter", id="ok", variant="primary")
        yield keyed("Cancel", "Esc", id="cancel")

    def prepare(self) -> None:
        self.query_one("#text", Input).focus()

    def _submit(self) -> None:
        value = self.query_one("#text", Input).value.strip()
        if self.prompt.required and not value:
            error = self.query_one("#text-error", Label)
            error.update("an answer is required")
            error.add_class("shown")
            self.refit()
            return
        self.answer(value)

    @on(Input.Submitted, "#text")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self._submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.answer(False)


class ManualModal(PromptModal):
    """Do this by hand: instructions, copyable text, a link; Done / Not yet.

    After Done the answer goes to the engine, which checks the action again;
    ``verify`` waits for that check, then the dialog closes and a notification says
    whether the check passed.
    """

    prompt: Manual
    kind = "manual"
    BINDINGS = [Binding("escape", "cancel", "Not yet")]

    def __init__(self, prompt: Manual, on_answer: AnswerFn, verify: Verify | None) -> None:
        super().__init__(prompt, on_answer)
        self.verify = verify
        self.result: CheckResult | None = None

    def body(self) -> ComposeResult:
        yield Markdown(self.prompt.instructions, classes="manual-instructions")
        if self.prompt.copy_text:
            yield Label("Text to copy (y copies it):", classes="modal-hint")
            yield TextArea(self.prompt.copy_text, read_only=True, id="copy-text",
                           soft_wrap=True)
        if self.prompt.link:
            yield Static(f"Where: {self.prompt.link}", classes="modal-link", markup=False)

    def controls(self) -> ComposeResult:
        yield Static("", id="verdict", markup=False)

    def buttons(self) -> Iterable[Button]:
        yield self.key("d", keyed("Done", "d", id="done", variant="success"))
        yield self.key("n", keyed("Not yet", "n", id="not-yet"))
        if self.prompt.copy_text:
            yield self.key("y", keyed("Copy text", "y", id="copy"))

    def prepare(self) -> None:
        self.query_one("#verdict").display = False
        self.focus_body()

    @on(Button.Pressed, "#copy")
    def _copy(self) -> None:
        import os

        # OSC 52 is a request to the terminal, with no answer: say what was sent, never
        # "copied".
        self.app.copy_to_clipboard(self.prompt.copy_text)
        tmux = (" In tmux it needs `set -g set-clipboard on`." if os.environ.get("TMUX")
                else "")
        self.notify("sent to the terminal's clipboard (OSC 52; tmux or your terminal may "
                    f"ignore it). The text is also in the box: select it there.{tmux}",
                    title="y: text to copy", timeout=15)

    @on(Button.Pressed, "#not-yet")
    def _not_yet(self) -> None:
        self.answer(False)

    def action_cancel(self) -> None:
        if self.answered is None:
            self.answer(False)

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        if self.verify is None:
            self.answer(True)
            return
        self.answer(True, close=False)
        self.query_one(".buttons").display = False
        verdict = self.query_one("#verdict", Static)
        verdict.update("Checking the action…")
        verdict.display = True
        self.refit()
        self._verify()

    @work(exclusive=True, group="verify")
    async def _verify(self) -> None:
        assert self.verify is not None
        self.result = result = await self.verify()
        if result.status is Status.DONE:
            self.app.notify(f"✔ Check passed: {result.reason}", title=self.prompt.title)
        else:
            self.app.notify(f"✘ Check did not pass: {result.reason}", title=self.prompt.title,
                            severity="error")
        self.close(PromptAnswer(value=True))


def modal_for(prompt: Prompt, on_answer: AnswerFn, verify: Verify | None = None) -> PromptModal:
    if isinstance(prompt, Confirm):
        return ConfirmModal(prompt, on_answer)
    if isinstance(prompt, Choose):
        return ChooseModal(prompt, on_answer)
    if isinstance(prompt, TextInput):
        return TextModal(prompt, on_answer)
    return ManualModal(prompt, on_answer, verify)


class ErrorModal(ModalScreen[None]):
    """What failed, why, and how to resume. Never a traceback. Informational, so Enter
    (the safe default) closes it."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "close", "Close")]

    def __init__(self, what: str, why: str, resume: str) -> None:
        super().__init__(classes="error-modal")
        self.what, self.why, self.resume = what, why, resume

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Static("Something failed", classes="modal-title")
            with DialogBody(classes="modal-body"):
                yield Label("What failed", classes="modal-hint")
                yield Static(self.what, markup=False, id="error-what")
                yield Label("Why", classes="modal-hint")
                yield Static(self.why, markup=False, id="error-why")
                yield Label("How to resume", classes="modal-hint")
                yield Static(self.resume, markup=False, id="error-resume")
            with Horizontal(classes="buttons"):
                yield keyed("Close", "Enter", id="close", variant="primary")

    def on_resize(self) -> None:
        self.call_after_refresh(fit_body, self)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


HELP = """\
# Keys

Letter keys act on the checklist and log; typed into a text box they stay text.

| Key | What it does |
|---|---|
| ↑ ↓ / j k | move through stages and actions |
| Enter | expand a stage into its actions (or collapse it) |
| r | run the selected stage (walkthrough: check only; shadow: re-check) |
| c | cancel the selected stage's run (safe: rerun resumes) |
| S | take the selected stage over from the driver holding it (journalled) |
| a | check every action now (read-only) |
| y | copy the manual command of the selected action |
| o | open the selected action's link |
| / | search the log, from anywhere; Enter or ↓ / ↑ (n / N) next / previous; Esc goes back |
| f | follow the log, or pause it |
| w | wrap log lines (log focused) |
| v | the log of the selected action alone, or of the whole stage (log focused) |
| Tab | move focus between checklist, explanation and log |
| Ctrl+P | command palette: run, explain, open link, copy for every stage and action |
| s | the release's summary: stages, durations, drivers, links |
| C | CI health: the CI screen over this one (Esc comes back; the release keeps running) |
| ? | this help |
| q / Ctrl+C | quit (while a stage runs: asks, then cancels it cleanly first) |

# Questions (dialogs)

- One at a time: a question asked while a dialog is open waits for it to close (the open
  dialog's top border says how many wait).
- Each button names its key: `Done (d)`, `Not yet (n)`, `retry (r)`. Enter alone answers
  nothing: press the key, click, or Tab to a button and press Enter.
- Esc is the answer that changes nothing: No, Not yet, Abort.
- "more below" on the bottom border: ↓ PgDn End scroll the text; the buttons stay.

# Modes

- **drive** — runs stages; every mutating step is checked first and again after.
- **walkthrough** — explains every action; nothing is executed, only read-only checks.
- **shadow** — a read-only view of a release driven elsewhere: follows the journal on the
  tracking issue and re-checks each stage that finishes there.

# States

""" + "\n".join(f"- `{glyph}` **{state.value}** — {STATE_MEANINGS[state]}"
                 for state, (glyph, _) in GLYPHS.items()) + f"""

Beside the state: `{POINT_OF_NO_RETURN[0]}` — {POINT_OF_NO_RETURN_MEANING}.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
