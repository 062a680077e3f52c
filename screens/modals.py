"""Modal dialogs: the four prompt kinds, the error dialog and the help screen.

Every prompt modal hands its answer to ``on_answer`` (the prompter's future) and then
closes, except the manual one: after Done it stays open until the action's check has
run, and says whether it passed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown, OptionList, Static, TextArea

from cockpit.model import CheckResult, Status
from cockpit.prompts import Choose, Confirm, Manual, Prompt, PromptAnswer, TextInput

AnswerFn = Callable[[PromptAnswer], None]
Verify = Callable[[], Awaitable[CheckResult]]


class PromptModal(ModalScreen[PromptAnswer | None]):
    """Base: a titled dialog for one prompt; Escape answers no / not yet."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: Prompt, on_answer: AnswerFn) -> None:
        super().__init__(classes="prompt-modal")
        self.prompt = prompt
        self.on_answer = on_answer

    def header(self) -> ComposeResult:
        yield Label(self.prompt.title, classes="modal-title")
        yield Static(self.prompt.message, classes="modal-message", markup=False)
        yield Label(f"prompt {self.prompt.id}", classes="modal-id")

    def answer(self, value: bool | str, note: str = "") -> None:
        result = PromptAnswer(value=value, note=note)
        self.on_answer(result)
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.answer(False)


class ConfirmModal(PromptModal):
    """Yes/no about one exact thing; dangerous steps need the confirmation typed."""

    prompt: Confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield from self.header()
            if self.prompt.detail:
                yield Static(self.prompt.detail, classes="modal-detail", markup=False)
            typed = self.prompt.typed_confirmation
            if typed:
                yield Label(f"Type {typed} to go ahead:", classes="modal-hint")
                yield Input(placeholder=typed, id="typed")
            with Horizontal(classes="buttons"):
                yield Button("Yes, go ahead", id="yes", variant="error" if typed else "primary",
                             disabled=bool(typed))
                yield Button("No", id="no")

    @on(Input.Changed, "#typed")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = (
            event.value.strip() != self.prompt.typed_confirmation)

    @on(Input.Submitted, "#typed")
    def _typed_enter(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.prompt.typed_confirmation:
            self.answer(True)

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.answer(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.answer(False)


class ChooseModal(PromptModal):
    """Pick one of a list; "skip" asks for a reason first."""

    prompt: Choose

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog choose"):
            yield from self.header()
            yield OptionList(*self.prompt.choices, id="choices")
            yield Input(placeholder="why? (a skip needs a reason)", id="note")

    def on_mount(self) -> None:
        self.query_one("#note", Input).display = False
        options = self.query_one("#choices", OptionList)
        if self.prompt.default in self.prompt.choices:
            options.highlighted = self.prompt.choices.index(self.prompt.default)
        options.focus()

    @on(OptionList.OptionSelected, "#choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        choice = self.prompt.choices[event.option_index]
        if choice == "skip":
            note = self.query_one("#note", Input)
            note.display = True
            note.focus()
            return
        self.answer(choice)

    @on(Input.Submitted, "#note")
    def _note(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.answer("skip", event.value.strip())

    def action_cancel(self) -> None:
        self.answer("abort" if "abort" in self.prompt.choices else self.prompt.choices[-1])


class TextModal(PromptModal):
    prompt: TextInput

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog text"):
            yield from self.header()
            yield Input(value=self.prompt.default, id="text")
            yield Label("", id="text-error", classes="modal-error")
            with Horizontal(classes="buttons"):
                yield Button("OK", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def _submit(self) -> None:
        value = self.query_one("#text", Input).value.strip()
        if self.prompt.required and not value:
            self.query_one("#text-error", Label).update("an answer is required")
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
    ``verify`` waits for that check and the dialog shows whether it passed.
    """

    prompt: Manual
    BINDINGS = [Binding("escape", "cancel", "Not yet"), Binding("y", "copy", "Copy text")]

    def __init__(self, prompt: Manual, on_answer: AnswerFn, verify: Verify | None) -> None:
        super().__init__(prompt, on_answer)
        self.verify = verify
        self.result: CheckResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog manual"):
            yield from self.header()
            with VerticalScroll(classes="manual-body"):
                yield Markdown(self.prompt.instructions, classes="manual-instructions")
                if self.prompt.copy_text:
                    yield Label("Text to copy (y copies it):", classes="modal-hint")
                    yield TextArea(self.prompt.copy_text, read_only=True, id="copy-text",
                                   soft_wrap=True)
                if self.prompt.link:
                    yield Static(f"Where: {self.prompt.link}", classes="modal-link",
                                 markup=False)
            yield Static("", id="verdict", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Done", id="done", variant="success")
                yield Button("Not yet", id="not-yet")
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).display = False
        self.query_one("#done", Button).focus()

    def action_copy(self) -> None:
        if self.prompt.copy_text:
            self.app.copy_to_clipboard(self.prompt.copy_text)
            self.notify("copied to the clipboard")

    @on(Button.Pressed, "#not-yet")
    def _not_yet(self) -> None:
        self.answer(False)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(PromptAnswer(value=True))

    def action_cancel(self) -> None:
        if self.query_one("#close", Button).display:
            self._close()
        else:
            self.answer(False)

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.on_answer(PromptAnswer(value=True))
        for button in ("#done", "#not-yet"):
            self.query_one(button, Button).display = False
        if self.verify is None:
            self.dismiss(PromptAnswer(value=True))
            return
        self.query_one("#verdict", Static).update("Checking the action…")
        self._verify()

    @work(exclusive=True, group="verify")
    async def _verify(self) -> None:
        assert self.verify is not None
        self.result = result = await self.verify()
        verdict = self.query_one("#verdict", Static)
        passed = result.status is Status.DONE
        verdict.update(("✔ Check passed: " if passed else "✘ Check did not pass: ") + result.reason)
        verdict.set_class(passed, "passed")
        verdict.set_class(not passed, "not-passed")
        close = self.query_one("#close", Button)
        close.display = True
        close.focus()


def modal_for(prompt: Prompt, on_answer: AnswerFn, verify: Verify | None = None) -> PromptModal:
    if isinstance(prompt, Confirm):
        return ConfirmModal(prompt, on_answer)
    if isinstance(prompt, Choose):
        return ChooseModal(prompt, on_answer)
    if isinstance(prompt, TextInput):
        return TextModal(prompt, on_answer)
    return ManualModal(prompt, on_answer, verify)


class ErrorModal(ModalScreen[None]):
    """What failed, why, and how to resume. Never a traceback."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "close", "Close")]

    def __init__(self, what: str, why: str, resume: str) -> None:
        super().__init__(classes="error-modal")
        self.what, self.why, self.resume = what, why, resume

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Label("Something failed", classes="modal-title")
            yield Label("What failed", classes="modal-hint")
            yield Static(self.what, markup=False, id="error-what")
            yield Label("Why", classes="modal-hint")
            yield Static(self.why, markup=False, id="error-why")
            yield Label("How to resume", classes="modal-hint")
            yield Static(self.resume, markup=False, id="error-resume")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


HELP = """\
# Keys

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
| / | search the log; n / N next / previous match |
| f | follow the log, or pause it |
| Tab | move focus between checklist, explanation and log |
| Ctrl+P | command palette: run, explain, open link, copy for every stage and action |
| ? | this help |
| q | quit |

# Modes

- **drive** — runs stages; every mutating step is checked first and again after.
- **walkthrough** — explains every action; nothing is executed, only read-only checks.
- **shadow** — a read-only view of a release driven elsewhere: follows the journal on the
  tracking issue and re-checks each stage that finishes there.

# Status glyphs

`·` pending  `?` checking  `▶` running  `✔` done  `◐` in progress
`!` needs you  `✘` failed  `↷` skipped
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
