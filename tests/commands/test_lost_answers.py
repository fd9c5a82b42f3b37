"""No answer is lost: a Latin-1 byte, Ctrl-C or Ctrl-D halfway, a second answer, a journal
that cannot be written. Each story ends with the journal holding every answer given (and
every red flag its hold), or with nothing asked at all."""

from __future__ import annotations

import errno
import io
import os
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import pytest

from iastm_coach.cli import app
from iastm_coach.journal.store import Journal, Record
from tests.cli import NOW, context_at, runner


def run(*args: str, input: Any = None, stdin: IO[str] | None = None) -> tuple[int, str, str]:
    """The command at `NOW`; *input* may be bytes, as a terminal in any encoding sends them."""
    result = runner.invoke(app, list(args), input=input, obj=context_at(NOW, stdin=stdin))
    return result.exit_code, result.stdout, result.stderr


def logged(home: Path, hours_ago: float, region: str = "neck") -> Record:
    started = (NOW - timedelta(hours=hours_ago, minutes=4)).astimezone()
    code, out, err = run(
        "log", region, "--soreness", "2", "--minutes", "4", "--when", started.isoformat()
    )
    assert code == 0, out + err
    (session,) = Journal(home / "journal").recent(kinds={"session"})
    return session


def kinds(home: Path, kind: str) -> list[Record]:
    return sorted(Journal(home / "journal").recent(kinds={kind}), key=lambda r: r.seq)


class InterruptedInput(io.StringIO):
    """Standard input that gives its lines, then is interrupted by Ctrl-C."""

    def readline(self, size: int | None = -1) -> str:
        data = super().readline(size)
        if not data:
            raise KeyboardInterrupt
        return data


# --- 1. text typed in a Latin-1 terminal -------------------------------------------------------


def test_a_latin1_note_in_a_checkin_is_stored_and_soreness_7_and_bruising_hold(
    isolated_home: Path,
) -> None:
    """'café' typed in a Latin-1 terminal reaches us as the byte 0xE9: the check-in is
    recorded with the note readable, and severe soreness and bruising put the neck on hold."""
    session = logged(isolated_home, 26)
    code, out, err = run("checkin", input=b"7\ny\nn\nn\nn\ncaf\xe9 au lait\n")
    assert code == 0, out + err
    assert "internal error" not in out + err
    (checkin,) = kinds(isolated_home, "checkin")
    assert checkin.data["note"] == "café au lait"
    assert (checkin.data["session"], checkin.data["soreness"], checkin.data["bruising"]) == (
        session.id,
        7,
        True,
    )
    rules = {hold.data["rule"] for hold in kinds(isolated_home, "hold")}
    assert rules and all(hold.data["region"] == "neck" for hold in kinds(isolated_home, "hold"))
    assert any("bruis" in rule for rule in rules) and any("sore" in rule for rule in rules)


@pytest.mark.parametrize("command", ["checkin", "log"])
def test_a_latin1_note_argument_is_stored(isolated_home: Path, command: str) -> None:
    """A note argument with a byte that is not UTF-8 (a lone surrogate once Python has
    read it) is stored decoded; the record and its hold are written, exit 0."""
    if command == "checkin":
        session = logged(isolated_home, 26)
        args = ["checkin", session.id, "--soreness", "7", "--bruising", "--no-numbness"]
        args += ["--no-swelling", "--no-worse"]
    else:
        args = ["log", "calf", "--soreness", "7", "--bruising", "--side", "left"]
    code, out, err = run(*args, "--note", "caf\udce9")
    assert code == 0, out + err
    notes = [
        r.data["note"]
        for r in kinds(isolated_home, "checkin" if command == "checkin" else "session")
    ]
    assert "café" in notes
    assert kinds(isolated_home, "hold")


# --- 3. Ctrl-C or Ctrl-D halfway through a check-in -------------------------------------------


def test_ctrl_c_halfway_through_a_checkin_keeps_the_answers_and_places_the_hold(
    isolated_home: Path,
) -> None:
    """Soreness 3, bruising no, numbness YES, then Ctrl-C: exit 130, the check-in is kept
    with what was said (swelling and worse not asked, not 'no'), and numbness holds the neck."""
    logged(isolated_home, 26)
    code, out, err = run("checkin", stdin=InterruptedInput("3\nn\ny\n"))
    assert code == 130, out + err
    (checkin,) = kinds(isolated_home, "checkin")
    assert (checkin.data["soreness"], checkin.data["bruising"], checkin.data["numbness"]) == (
        3,
        False,
        True,
    )
    assert "swelling" not in checkin.data and "worse" not in checkin.data
    assert checkin.data["not_asked"] == ["swelling", "worse"]
    (hold,) = kinds(isolated_home, "hold")
    assert (hold.data["region"], hold.data["source"]) == ("neck", checkin.id)
    assert "Kept the answers given so far" in err


def test_ctrl_d_after_swelling_yes_keeps_it_and_its_hold(isolated_home: Path) -> None:
    """Input ends right after 'Swelling? y' (Ctrl-D, or a pipe): exit 2, the swelling is
    recorded and holds the region."""
    logged(isolated_home, 26)
    code, out, err = run("checkin", input="2\nn\nn\ny\n")
    assert code == 2, out + err
    (checkin,) = kinds(isolated_home, "checkin")
    assert checkin.data["swelling"] is True and checkin.data["not_asked"] == ["worse"]
    assert [h.data["region"] for h in kinds(isolated_home, "hold")] == ["neck"]


def test_interrupted_before_the_soreness_records_nothing(isolated_home: Path) -> None:
    """Ctrl-C at the first question: nothing was answered, nothing is written, exit 130."""
    logged(isolated_home, 26)
    code, _, _ = run("checkin", stdin=InterruptedInput(""))
    assert code == 130
    assert kinds(isolated_home, "checkin") == []


# --- 4. a follow-up answered again ----------------------------------------------------------------


def test_a_second_answer_is_a_correction_and_both_are_kept(isolated_home: Path) -> None:
    """The 24 h follow-up answered (soreness 3), then again (soreness 5): two records with
    their times, the second naming the first; readers take the newest, a report can list both."""
    from iastm_coach.history.answers import answers_by_follow_up, newest_answers

    session = logged(isolated_home, 26)
    signs = ["--no-bruising", "--no-numbness", "--no-swelling", "--no-worse"]
    assert run("checkin", session.id, "--soreness", "3", *signs)[0] == 0
    code, out, err = run("checkin", session.id, "--soreness", "5", "--hours", "24", *signs)
    assert code == 0, out + err
    first, second = kinds(isolated_home, "checkin")
    assert (first.data["soreness"], second.data["soreness"]) == (3, 5)
    assert second.data["corrects"] == first.id and "corrects" not in first.data
    assert "It corrects the answer given" in out and "stays in the journal" in out
    assert answers_by_follow_up([first, second]) == {24: [first, second]}
    assert newest_answers([first, second]) == [second]


# --- 5. a journal that cannot be written ------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["session", "calf", "--plain"], ["measure", "calf", "--side", "left"], ["exercises", "calf"]],
)
def test_a_file_where_the_data_directory_should_be_stops_before_any_question(
    isolated_home: Path, command: list[str]
) -> None:
    """The data directory cannot be created: exit 4 before the first question (a session's
    checklist, a measurement, an exercise set), saying what is wrong and what to do (not
    'a bug', not after 31 questions)."""
    isolated_home.parent.mkdir(parents=True, exist_ok=True)
    isolated_home.write_text("not a directory\n")
    code, out, err = run(*command, input="y\n" * 40)
    assert code == 4, out + err
    assert "cannot be written" in err and "nothing has been asked or recorded" in err
    assert "IASTM_COACH_HOME" in err and "bug" not in err.lower()
    assert "?" not in out  # not one question was asked


@pytest.mark.parametrize(
    ("error", "advice"),
    [(errno.EROFS, "read-only"), (errno.EACCES, "chmod u+rwx"), (errno.ENOSPC, "disk is full")],
)
def test_a_read_only_or_full_journal_stops_a_checkin_before_asking(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, error: int, advice: str
) -> None:
    """A read-only disk, a directory not ours, a full disk: exit 4 with the fix, nothing asked."""
    logged(isolated_home, 26)
    real_open = os.open

    def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(error, os.strerror(error))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    code, out, err = run("checkin", input="3\nn\nn\nn\nn\n\n")
    assert code == 4, out + err
    assert advice in err and "Soreness" not in out


# --- the quick form: warning signs not given are asked, or recorded as not asked ---------------


def test_quick_checkin_without_a_terminal_records_unasked_signs_as_unknown(
    isolated_home: Path,
) -> None:
    """`checkin ID --soreness 3 --swelling` from a script: swelling yes, the other three
    signs are recorded as not asked (not as 'no'), and the output says so."""
    session = logged(isolated_home, 26)
    code, out, err = run("checkin", session.id, "--soreness", "3", "--swelling")
    assert code == 0, out + err
    (checkin,) = kinds(isolated_home, "checkin")
    assert checkin.data["swelling"] is True
    assert checkin.data["not_asked"] == ["bruising", "numbness", "worse"]
    assert not {"bruising", "numbness", "worse"} & set(checkin.data)
    assert "Not asked (recorded as unknown): bruising, numbness, worse." in out
