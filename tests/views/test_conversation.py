"""Line-by-line questions: retries, defaults, and the end of piped input."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from iastm_coach.errors import UsageError
from iastm_coach.session.conversation import EndOfInput
from iastm_coach.views.conversation import LineConversation


class TerminalInput(io.StringIO):
    """Answers typed at a terminal (isatty is true)."""

    def isatty(self) -> bool:
        return True


def talk(answers: str, *, terminal: bool = False) -> tuple[LineConversation, io.StringIO]:
    out = io.StringIO()
    stdin = TerminalInput(answers) if terminal else io.StringIO(answers)
    return LineConversation(Console(file=out, width=100), stdin), out


def test_confirm_accepts_yes_no_and_default() -> None:
    conversation, _ = talk("yes\nN\n\n")
    assert conversation.confirm("Q?") is True
    assert conversation.confirm("Q?") is False
    assert conversation.confirm("Q?", default=True) is True


def test_ask_int_reasks_until_in_range() -> None:
    """A mistyped score (including ones str.isdigit accepts) is asked again."""
    conversation, out = talk("3/10\n11\n--3\n\u00b2\n4\n")
    assert conversation.ask_int("Soreness?", low=0, high=10) == 4
    assert out.getvalue().count("whole number from 0 to 10") == 4


def test_terminal_user_is_asked_as_often_as_it_takes() -> None:
    """At a terminal there is no limit on mistakes (a safety question must be answered)."""
    conversation, _ = talk("x\n" * 12 + "2\n", terminal=True)
    assert conversation.ask_int("Soreness?", low=0, high=10) == 2


def test_piped_nonsense_stops_with_a_usage_error() -> None:
    """A pipe of wrong answers cannot loop for ever: exit 2 after a few tries."""
    conversation, _ = talk("x\n" * 10)
    with pytest.raises(UsageError) as caught:
        conversation.ask_int("Soreness?", low=0, high=10)
    assert caught.value.exit_code == 2


def test_end_of_input_is_its_own_error() -> None:
    conversation, _ = talk("")
    with pytest.raises(EndOfInput, match="input ended"):
        conversation.confirm("Q?")


@pytest.mark.parametrize(("answer", "expected"), [("9,5", 9.5), ("", None), ("-3", -3.0)])
def test_ask_float(answer: str, expected: float | None) -> None:
    conversation, _ = talk(answer + "\n")
    assert conversation.ask_float("cm?", low=-10, high=100) == expected


def test_ask_choice_takes_a_unique_prefix() -> None:
    conversation, _ = talk("r\nb\n")
    assert conversation.ask_choice("Side?", ["left", "right", "both"]) == "right"
    assert conversation.ask_choice("Side?", ["left", "right", "both"]) == "both"


def test_a_note_longer_than_the_cap_is_asked_again_at_a_terminal() -> None:
    """At a terminal an over-long note is refused with the cap and its length, then asked
    again; what is typed next is kept."""
    long = "word " * 500  # 2,500 characters
    conversation, out = talk(f"{long}\nshorter now\n", terminal=True)
    assert conversation.ask_text("A note for your journal?") == "shorter now"
    assert "Notes are kept to 2,000 characters; this one has 2,499." in out.getvalue()


def test_a_piped_note_longer_than_the_cap_is_cut_and_said_so() -> None:
    """From a pipe the next line answers the next question: the note keeps its first
    2,000 characters and the person is told how many were not saved."""
    conversation, out = talk("x" * 2_345 + "\nn\n")
    assert conversation.ask_text("A note?") == "x" * 2_000
    assert "the other 345 were not saved" in " ".join(out.getvalue().split())
    assert conversation.confirm("Q?") is False
    assert talk("y" * 2_000 + "\n")[0].ask_text("A note?") == "y" * 2_000


class CtrlDAtATerminal(TerminalInput):
    """A terminal where None in *lines* is a Ctrl-D and the person types on after it."""

    def __init__(self, lines: list[str | None]) -> None:
        super().__init__("")
        self.lines = lines

    def readline(self, size: int | None = -1) -> str:
        line = self.lines.pop(0)
        return "" if line is None else line + "\n"


def test_ctrl_d_skips_every_optional_question_alike_and_stops_a_required_one() -> None:
    """Ctrl-D at a note, a measurement (both 'Enter to skip') is Enter: skipped, the next
    question is asked; at a yes/no or a score it is the end of input (exit 2)."""
    out = io.StringIO()
    conversation = LineConversation(
        Console(file=out, width=100), CtrlDAtATerminal([None, None, "3", None, None])
    )
    assert conversation.ask_text("A note?") == ""
    assert conversation.ask_float("cm?", low=0, high=50) is None
    assert conversation.ask_int("Soreness?", low=0, high=10) == 3
    with pytest.raises(EndOfInput):
        conversation.confirm("Swelling?")
    with pytest.raises(EndOfInput):
        conversation.ask_int("Soreness?", low=0, high=10)


def test_a_latin1_answer_is_read_as_its_letter() -> None:
    """A Latin-1 terminal sends 'é' as one byte that is not UTF-8: read as 'é', not an error."""
    stdin = io.TextIOWrapper(io.BytesIO(b"caf\xe9\n"), encoding="utf-8")
    conversation = LineConversation(Console(file=io.StringIO(), width=100), stdin)
    assert conversation.ask_text("A note?") == "café"


def test_ctrl_d_at_a_terminal_is_not_told_to_run_in_a_terminal() -> None:
    """Ctrl-D at a terminal names Ctrl-D and the question (its last line when grouped),
    with no advice to use a terminal; a pipe that ends keeps its advice."""
    conversation = LineConversation(
        Console(file=io.StringIO(), width=100), CtrlDAtATerminal([None])
    )
    with pytest.raises(EndOfInput) as ended:
        conversation.confirm("  1. Bruising\n  2. Swelling\nAny of these?")
    assert ended.value.at_terminal
    assert (
        ended.value.message == "the answers ended (Ctrl-D) before this was answered: Any of these?"
    )
    assert "terminal" not in (ended.value.hint or "")
    with pytest.raises(EndOfInput) as piped:
        talk("")[0].confirm("Swelling?")
    assert not piped.value.at_terminal and "in a terminal" in (piped.value.hint or "")


def test_answers_typed_at_a_terminal_are_not_echoed_again_into_a_pipe() -> None:
    """`session calf | tee log`: the terminal shows what is typed, so the answer is not
    printed a second time; piped answers are still echoed."""
    typed, out = talk("3\n", terminal=True)
    assert typed.ask_int("Soreness?", low=0, high=10) == 3
    assert out.getvalue() == "Soreness? [0-10] "
    piped, out = talk("3\n")
    assert piped.ask_int("Soreness?", low=0, high=10) == 3
    assert out.getvalue().endswith(" 3\n")
