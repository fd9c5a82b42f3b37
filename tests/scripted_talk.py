"""A scripted `Conversation` for session tests: answers chosen by question text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console

from iastm_coach.session.shown import Shown
from iastm_coach.views.shown import render


class ScriptedTalk:
    """Answers each question with the first rule whose text appears in it.

    Unmatched yes/no questions are answered "no" (nothing to declare);
    unmatched number questions fail the test, so every number is deliberate.
    Everything shown is rendered to `transcript` for assertions.
    """

    def __init__(self, rules: Sequence[tuple[str, Any]] = ()) -> None:
        self.rules = list(rules)
        self.asked: list[str] = []
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

    def show(self, *items: Shown | Any) -> None:
        for item in items:
            self.console.print(render(item, plain=False))

    def confirm(self, question: str, *, default: bool | None = None) -> bool:
        answer = self._rule(question)
        return bool(answer) if answer is not None else False

    def ask_int(self, question: str, *, low: int, high: int) -> int:
        answer = self._rule(question)
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
