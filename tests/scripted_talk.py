"""A scripted `Conversation` for session tests: answers chosen by question text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from iastm_coach.session.shown import Shown
from iastm_coach.views.shown import render

DEFAULT_AGE = 40
NUMBERED = re.compile(r"^ +(\d+)\. (.*)$", re.MULTILINE)


class ScriptedTalk:
    """Answers each question with the first rule whose text appears in it.

    Unmatched yes/no questions are answered "no" (nothing to declare);
    unmatched number questions fail the test, so every number is deliberate (but for the
    age, asked once on first use: 40 unless a rule says otherwise).
    Everything shown is rendered to `transcript` for assertions.

    A grouped question (numbered items, then "any of these?") is answered item by item
    with the same rules: yes when a rule answers True for one of its items, then that
    item's number for "Which one?", then yes to "Any other" while another matches.
    """

    def __init__(self, rules: Sequence[tuple[str, Any]] = ()) -> None:
        self.rules = list(rules)
        self.asked: list[str] = []
        self.defaults: dict[str, bool | None] = {}  # yes/no question -> its default (Enter)
        self._pending: list[int] = []  # numbers of the grouped items still to pick
        self.console = Console(width=120, record=True, force_terminal=False, color_system=None)

    def _rule(self, question: str) -> Any:
        self.asked.append(question)
        self.console.print(question)
        for needle, answer in self.rules:
            if needle in question:
                if isinstance(answer, BaseException):
                    raise answer
                return answer
        return None

    @property
    def transcript(self) -> str:
        return self.console.export_text(clear=False)

    def show(self, *items: Shown) -> None:
        for item in items:
            self.console.print(render(item, plain=False))

    def _group(self, question: str) -> list[int] | None:
        """The numbers of the items a rule says yes to, when *question* is grouped."""
        items = NUMBERED.findall(question)
        if not items:
            return None
        for needle, answer in self.rules:  # an exception scripted for an item is raised
            if isinstance(answer, BaseException) and any(needle in text for _, text in items):
                raise answer
        return [
            int(number)
            for number, text in items
            if any(needle in text and answer is True for needle, answer in self.rules)
        ]

    def confirm(self, question: str, *, default: bool | None = None) -> bool:
        self.defaults[question] = default
        group = self._group(question)
        if group is not None:
            self.asked.append(question)
            self.console.print(question)
            self._pending = group
            return bool(group)
        if question.startswith("Any other of these"):
            self.asked.append(question)
            return bool(self._pending)
        answer = self._rule(question)
        return bool(answer) if answer is not None else False

    def ask_int(self, question: str, *, low: int, high: int) -> int:
        if question.startswith("Which one?") and self._pending:
            self.asked.append(question)
            return self._pending.pop(0)
        answer = self._rule(question)
        if answer is None and question.startswith("How old are you"):
            answer = DEFAULT_AGE
        assert isinstance(answer, int), f"no scripted number for: {question}"
        assert low <= answer <= high
        return answer

    def ask_float(self, question: str, *, low: float, high: float) -> float | None:
        answer = self._rule(question)
        return None if answer is None else float(answer)

    def ask_choice(
        self, question: str, choices: Sequence[str], *, default: str | None = None
    ) -> str:
        answer = self._rule(question)
        return str(answer) if answer is not None else (default or choices[0])

    def ask_text(self, question: str) -> str:
        answer = self._rule(question)
        return "" if answer is None else str(answer)

    def pause(self, message: str) -> None:
        self._rule(message)
