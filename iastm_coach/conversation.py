"""Asking people things: one line at a time, from a terminal or a pipe.

The session talks through the `Conversation` protocol so tests can script the
answers, and a pipe (`printf 'n\\nn\\n...' | iastm-coach session calf --plain`) can
drive a whole session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Protocol

from rich.console import Console, RenderableType
from rich.text import Text

from iastm_coach.errors import UsageError
from iastm_coach.ui import literal


class EndOfInput(UsageError):
    """Standard input ran out before a question was answered (a pipe ended)."""


YES = {"y", "yes"}
NO = {"n", "no"}
MAX_TRIES = 5


class Conversation(Protocol):
    def show(self, *renderables: RenderableType) -> None: ...

    def confirm(self, question: str, *, default: bool | None = None) -> bool: ...

    def ask_int(self, question: str, *, low: int, high: int) -> int: ...

    def ask_float(self, question: str, *, low: float, high: float) -> float | None: ...

    def ask_choice(
        self, question: str, choices: Sequence[str], *, default: str | None = None
    ) -> str: ...

    def ask_text(self, question: str) -> str: ...

    def pause(self, message: str) -> None: ...


class LineConversation:
    """Questions printed to a console, answers read line by line from `stdin`."""

    def __init__(self, console: Console, stdin: IO[str]) -> None:
        self.console = console
        self.stdin = stdin

    def show(self, *renderables: RenderableType) -> None:
        for renderable in renderables:
            self.console.print(renderable)

    def _ask(self, question: str, suffix: str) -> str:
        self.console.print(literal(question, "bold") + Text(f" {suffix}".rstrip()), end=" ")
        line = self.stdin.readline()
        if not line:
            self.console.print()
            raise EndOfInput(
                f"the input ended before this was answered: {question}",
                hint="Run the session in a terminal, or pipe one answer per line.",
            )
        if not self.console.is_terminal:
            # Echo piped answers so a transcript reads like a conversation.
            self.console.print(literal(line.rstrip("\n")))
        return line.strip()

    def _retry(self, message: str, tries: int, question: str) -> None:
        if tries >= MAX_TRIES:
            raise UsageError(f"no valid answer to: {question}", hint=message)
        self.console.print(literal(message, "yellow"))

    def confirm(self, question: str, *, default: bool | None = None) -> bool:
        suffix = {True: "[Y/n]", False: "[y/N]", None: "[y/n]"}[default]
        for tries in range(1, MAX_TRIES + 1):
            answer = self._ask(question, suffix).lower()
            if answer in YES:
                return True
            if answer in NO:
                return False
            if not answer and default is not None:
                return default
            self._retry("Please answer y or n.", tries, question)
        raise AssertionError("unreachable")  # pragma: no cover

    def ask_int(self, question: str, *, low: int, high: int) -> int:
        for tries in range(1, MAX_TRIES + 1):
            answer = self._ask(question, f"[{low}-{high}]")
            if answer.lstrip("-").isdigit() and low <= int(answer) <= high:
                return int(answer)
            self._retry(f"Please type a whole number from {low} to {high}.", tries, question)
        raise AssertionError("unreachable")  # pragma: no cover

    def ask_float(self, question: str, *, low: float, high: float) -> float | None:
        for tries in range(1, MAX_TRIES + 1):
            answer = self._ask(question, "(Enter to skip)")
            if not answer:
                return None
            try:
                value = float(answer.replace(",", "."))
            except ValueError:
                value = float("nan")
            if low <= value <= high:
                return value
            self._retry(
                f"Please type a number from {low:g} to {high:g}, or press Enter.", tries, question
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def ask_choice(
        self, question: str, choices: Sequence[str], *, default: str | None = None
    ) -> str:
        shown = "/".join(choices) + (f", Enter = {default}" if default else "")
        for tries in range(1, MAX_TRIES + 1):
            answer = self._ask(question, f"[{shown}]").lower()
            if not answer and default:
                return default
            matches = [choice for choice in choices if choice.startswith(answer)] if answer else []
            if len(matches) == 1:
                return matches[0]
            self._retry(f"Please type one of: {', '.join(choices)}.", tries, question)
        raise AssertionError("unreachable")  # pragma: no cover

    def ask_text(self, question: str) -> str:
        return self._ask(question, "(Enter to skip)")

    def pause(self, message: str) -> None:
        self._ask(message, "")
