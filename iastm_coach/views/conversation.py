"""Questions at a terminal or from a pipe: printed to a console, answers read line by line.

The session talks to this through the `Conversation` protocol (session/conversation.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, TypeVar

from rich.console import Console
from rich.text import Text

from iastm_coach.errors import UsageError
from iastm_coach.safe_text import NOTE_MAX, note_too_long
from iastm_coach.session.conversation import INVALID, NO, PIPED_TRIES, YES, EndOfInput, Invalid
from iastm_coach.session.shown import Shown
from iastm_coach.typed import read_typed, repair
from iastm_coach.views.shown import render
from iastm_coach.views.ui import is_plain, literal
from iastm_coach.vocabulary import typed_number

T = TypeVar("T")


class LineConversation:
    """Questions printed to a console, answers read line by line from `stdin`."""

    def __init__(self, console: Console, stdin: IO[str]) -> None:
        self.console = console
        self.stdin = stdin
        read_typed(stdin)  # a Latin-1 "é" is a letter, not a crash that loses the answers
        try:
            self.interactive = stdin.isatty()
        except (AttributeError, ValueError):
            self.interactive = False

    def show(self, *items: Shown) -> None:
        plain = is_plain(self.console)
        for item in items:
            self.console.print(render(item, plain=plain))

    def _ask(self, question: str, suffix: str, *, optional: bool = False) -> str:
        """One answer. Input that ends (Ctrl-D, the end of a pipe) skips an *optional*
        question, as Enter does, the same at every one; anywhere else it is EndOfInput."""
        self.console.print(literal(question, "bold") + Text(f" {suffix}".rstrip()), end=" ")
        try:
            line = repair(self.stdin.readline())
        except KeyboardInterrupt:
            self.console.print()  # what is said next starts on a line of its own, not after ^C
            raise
        if not line:
            self.console.print()
            if optional:
                return ""
            asked = question.strip().splitlines()[-1]  # a grouped question: its last line
            if self.interactive:
                raise EndOfInput(
                    f"the answers ended (Ctrl-D) before this was answered: {asked}",
                    at_terminal=True,
                )
            raise EndOfInput(
                f"the input ended before this was answered: {asked}",
                hint="Run it in a terminal, or pipe one answer per line.",
            )
        if not self.console.is_terminal and not self.interactive:
            # Echo piped answers so a transcript reads like a conversation (typed ones the
            # terminal shows already: `session calf | tee log` would show them twice).
            self.console.print(literal(line.rstrip("\n")))
        return line.strip()

    def _ask_until(
        self,
        question: str,
        suffix: str,
        parse: Callable[[str], T | Invalid],
        problem: str,
        *,
        optional: bool = False,
    ) -> T:
        """Ask until `parse` accepts the answer.

        A person at a terminal is asked again however often they mistype; a pipe
        of wrong answers would loop for ever, so it gets a few tries, then exit 2.
        """
        tries = 0
        while True:
            value = parse(self._ask(question, suffix, optional=optional))
            if not isinstance(value, Invalid):
                return value
            tries += 1
            if tries >= PIPED_TRIES and not self.interactive:
                raise UsageError(f"no valid answer to: {question}", hint=problem)
            self.console.print(literal(problem, "yellow"))

    def confirm(self, question: str, *, default: bool | None = None) -> bool:
        suffix = {True: "[Y/n]", False: "[y/N]", None: "[y/n]"}[default]

        def parse(answer: str) -> bool | Invalid:
            answer = answer.lower()
            if not answer and default is not None:
                return default
            return True if answer in YES else False if answer in NO else INVALID

        return self._ask_until(question, suffix, parse, "Please answer y or n.")

    def ask_int(self, question: str, *, low: int, high: int) -> int:
        def parse(answer: str) -> int | Invalid:
            try:
                value = int(answer)
            except ValueError:
                return INVALID
            return value if low <= value <= high else INVALID

        problem = f"Please type a whole number from {low} to {high}."
        return self._ask_until(question, f"[{low}-{high}]", parse, problem)

    def ask_float(self, question: str, *, low: float, high: float) -> float | None:
        def parse(answer: str) -> float | Invalid | None:
            if not answer:
                return None
            try:
                value = typed_number(answer)
            except ValueError:
                return INVALID
            return value if low <= value <= high else INVALID

        problem = f"Please type a number from {low:g} to {high:g}, or press Enter."
        return self._ask_until(question, "(Enter to skip)", parse, problem, optional=True)

    def ask_choice(
        self, question: str, choices: Sequence[str], *, default: str | None = None
    ) -> str:
        shown = "/".join(choices) + (f", Enter = {default}" if default else "")

        def parse(answer: str) -> str | Invalid:
            answer = answer.lower()
            if not answer and default:
                return default
            matches = [choice for choice in choices if answer and choice.startswith(answer)]
            return matches[0] if len(matches) == 1 else INVALID

        problem = f"Please type one of: {', '.join(choices)}."
        return self._ask_until(question, f"[{shown}]", parse, problem)

    def ask_text(self, question: str) -> str:
        """A free-text answer (a note) of at most `NOTE_MAX` characters: asked again at a
        terminal; from a pipe, the first `NOTE_MAX` are kept and the person is told."""
        while True:
            answer = self._ask(question, "(Enter to skip)", optional=True)
            problem = note_too_long(answer)
            if problem is None:
                return answer
            if self.interactive:
                self.console.print(literal(problem, "yellow"))
                continue
            self.console.print(
                literal(
                    f"Kept the first {NOTE_MAX:,} characters of this note; the other "
                    f"{len(answer) - NOTE_MAX:,} were not saved.",
                    "yellow",
                )
            )
            return answer[:NOTE_MAX]

    def pause(self, message: str) -> None:
        self._ask(message, "")
