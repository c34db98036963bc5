r"""`--script FILE`: typed lines run one after another, printed as a transcript.

A script is what you would type at the prompt, one command a line. `# words` lines are printed
as narration; blank lines are skipped. A command that opens a form (a modal) takes its answers
from the indented lines right below it, `field: value`, with `\n` for a new line:

    /ask
        title: How do I retry a Celery task that failed?
        details: I tried autoretry_for but the task still fails silently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from localdiscord.playground import render
from localdiscord.playground.command_tree import InputProblem
from localdiscord.playground.forms import ModalForm
from localdiscord.playground.session import Playground
from localdiscord.playground.words import Quit


class ScriptError(ValueError):
    """The script itself is malformed (before anything runs)."""


@dataclass(frozen=True, slots=True)
class Step:
    line: int
    text: str
    form_lines: tuple[str, ...] = ()
    after_blank: bool = False  # a blank line came before it (kept between narration blocks)

    @property
    def is_narration(self) -> bool:
        return self.text.startswith("#")


def read_script(source: str) -> list[Step]:
    """The steps of a script (narration included), each with the form lines under it."""
    steps: list[Step] = []
    blank = False
    for number, raw in enumerate(source.splitlines(), start=1):
        if not raw.strip():
            blank = True
            continue
        if raw[0] in " \t" and not raw.lstrip().startswith("#"):
            if not steps or steps[-1].is_narration:
                raise ScriptError(
                    f"line {number}: an indented line answers a form, but no command above "
                    "opens one"
                )
            last = steps[-1]
            steps[-1] = Step(
                last.line, last.text, (*last.form_lines, raw.strip()), last.after_blank
            )
            continue
        steps.append(Step(number, raw.strip(), after_blank=blank))
        blank = False
    return steps


class ScriptForms:
    """Answers a modal from a step's indented lines, and shows them as if typed."""

    def __init__(self, playground: Playground, step: Step) -> None:
        self.playground = playground
        self.step = step
        self.used = False

    async def fill(self, form: ModalForm) -> dict[str, str] | None:
        say = self.playground.say
        say(render.note_view(f"📝 Nexus opened the form “{form.title}”"))
        if self.used:
            say(render.problem_view("The script answers one form per command; closing this one."))
            return None
        self.used = True
        try:
            values = form.values_from_lines(self.step.form_lines)
        except InputProblem as problem:
            say(render.problem_view(f"line {self.step.line}: {problem.message}"))
            return None
        for field in form.fields:
            value = values[field.custom_id]
            shown = value.replace("\n", "\n      ") if value else "(left empty)"
            say(render.echo_view(shown, prompt=f"    {field.short_label}: "))
        return values


def interrupted() -> None:
    """Stop here if a Ctrl-C arrived and some library swallowed its cancellation (Python 3.11's
    `asyncio.wait_for` can, when what it waits for finishes in the same loop turn).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def run_steps(playground: Playground, steps: list[Step]) -> int:
    """Run every step and print the transcript; 1 when Nexus failed or logged an error."""
    failed = False
    playground.show_changes(new_turn=True)  # whatever the bot posted while starting
    previous: Step | None = None
    for step in steps:
        if step.is_narration:
            if previous is not None and previous.is_narration and step.after_blank:
                playground.say(render.blank())
            playground.say(render.note_view(step.text))
            previous = step
            continue
        previous = step
        interrupted()
        playground.say(render.echo_view(step.text))
        forms = ScriptForms(playground, step)
        try:
            outcome = await playground.run_line(step.text, forms)
        except Quit:
            break
        failed = failed or outcome.failed
        if step.form_lines and not forms.used:
            playground.say(
                render.problem_view(
                    f"line {step.line}: the indented lines answer a form, but `{step.text}` "
                    "did not open one."
                )
            )
        playground.say(render.blank())
    return 1 if failed or playground.bot_errors else 0
