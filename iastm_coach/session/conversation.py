"""Asking people things: one line at a time, from a terminal or a pipe.

The session talks through the `Conversation` protocol so tests can script the
answers, and a pipe (`printf 'n\\nn\\n...' | iastm-coach session calf --plain`) can
drive a whole session. The one that prints and reads is `views/conversation.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from iastm_coach.errors import UsageError
from iastm_coach.session.shown import Shown


class EndOfInput(UsageError):
    """Standard input ran out before a question was answered: a pipe ended, or Ctrl-D at a
    terminal (`at_terminal`: then "run it in a terminal" is no advice)."""

    def __init__(self, message: str, *, hint: str | None = None, at_terminal: bool = False):
        super().__init__(message, hint=hint)
        self.at_terminal = at_terminal


class Invalid:
    """An answer that does not fit the question: ask again."""


INVALID = Invalid()
YES = {"y", "yes"}
NO = {"n", "no"}
PIPED_TRIES = 5


class Conversation(Protocol):
    def show(self, *items: Shown) -> None: ...

    def confirm(self, question: str, *, default: bool | None = None) -> bool: ...

    def ask_int(self, question: str, *, low: int, high: int) -> int: ...

    def ask_float(self, question: str, *, low: float, high: float) -> float | None: ...

    def ask_choice(
        self, question: str, choices: Sequence[str], *, default: str | None = None
    ) -> str: ...

    def ask_text(self, question: str) -> str: ...

    def pause(self, message: str) -> None: ...
