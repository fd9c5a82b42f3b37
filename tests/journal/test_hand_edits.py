"""Stories: a month file saved by another editor gives the same answers everywhere.

A person treats the left calf, soreness 8 puts it on hold, and then opens the month
file in an editor that saves it differently (Windows line ends, indented or spaced
headers, a byte-order mark, quoted kinds, trailing blanks). `journal check`, `history`,
`hold list`, `today` and the session's gates must all still see the session and the
hold: the session is refused with exit 3, exactly as before the edit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli import first_session, run_on
from tests.fakes import FakeClock

SORE_8 = "8\nn\nn\n\n"  # aftercare: soreness 8 (a red flag), no bruising, no numbness
SORE_2 = "2\nn\nn\n\n"


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def indented(text: str) -> str:
    return re.sub(r"(?m)^\[\[(\w+)\]\]$", r"  [[ \1 ]]   # edited", text)


def quoted(text: str) -> str:
    return re.sub(r"(?m)^\[\[(\w+)\]\]$", r'[["\1"]]', text)


def trailing_blanks(text: str) -> str:
    return re.sub(r"(?m)$", " \t", text)


def bom(text: str) -> str:
    return "\ufeff" + text


def everything(text: str) -> str:
    return bom(crlf(trailing_blanks(indented(text))))


EDITS: dict[str, Callable[[str], str]] = {
    "crlf": crlf,
    "indented": indented,
    "quoted": quoted,
    "trailing-blanks": trailing_blanks,
    "bom": bom,
    "all-at-once": everything,
}


def answers(clock: FakeClock) -> dict[str, Any]:
    """What each reader says about the journal, at the clock's time."""
    found: dict[str, Any] = {}
    code, out, _ = run_on(clock, ["journal", "check", "--json"])
    report = json.loads(out)
    found["check"] = (code, report["ok"], report["records"], report["problems"])
    code, out, _ = run_on(clock, ["history", "--json"])
    found["history"] = (code, json.loads(out))
    code, out, _ = run_on(clock, ["history", "calf", "--json"])
    found["history calf"] = (code, json.loads(out))
    code, out, _ = run_on(clock, ["hold", "list", "--json"])
    found["hold list"] = (code, json.loads(out))
    code, out, _ = run_on(clock, ["today", "--json"])
    found["today"] = (code, json.loads(out))
    return found


def edit_month_files(home: Path, edit: Callable[[str], str]) -> None:
    paths = sorted((home / "journal").glob("*.toml"))
    assert paths
    for path in paths:
        path.write_bytes(edit(path.read_text(encoding="utf-8")).encode("utf-8"))


@pytest.mark.parametrize("name", sorted(EDITS))
def test_hand_saved_journal_keeps_the_hold(isolated_home: Path, name: str) -> None:
    """Soreness 8 puts the calf on hold; after the file is saved differently, every reader
    gives the same answers and the session is still refused with exit 3."""
    clock = FakeClock()
    code, out, err = first_session(clock, SORE_8)
    assert code == 0 and "on hold" in out, err
    clock.advance(3 * 24 * 3600)
    before = answers(clock)
    assert before["check"][:3] == (0, True, before["check"][2])
    assert [h["region"] for h in before["hold list"][1]["holds"]] == ["calf"]
    assert before["history"][1]["sessions"], before["history"]

    edit_month_files(isolated_home, EDITS[name])

    assert answers(clock) == before
    code, _, err = run_on(clock, ["session", "calf", "--side", "left", "--override-rest"])
    assert code == 3 and "on hold" in err


@pytest.mark.parametrize("name", sorted(EDITS))
def test_hand_saved_journal_keeps_the_rest_period(isolated_home: Path, name: str) -> None:
    """A calm session yesterday: after the file is saved differently, the next session is
    still refused for the rest period (the gate still finds the last session)."""
    clock = FakeClock()
    code, _, err = first_session(clock, SORE_2)
    assert code == 0, err
    clock.advance(24 * 3600)
    before = answers(clock)

    edit_month_files(isolated_home, EDITS[name])

    assert answers(clock) == before
    code, _, err = run_on(clock, ["session", "calf", "--side", "left"])
    assert code == 3 and "48 h of rest" in err


def escaped_region(text: str) -> str:
    return text.replace('region = "calf"', 'region = "c\\u0061lf"')


def test_an_escaped_region_is_still_found(isolated_home: Path) -> None:
    """`region = "c\\u0061lf"` is TOML for "calf": the gate that looks for the calf's last
    session without parsing every month still finds it and refuses the session."""
    clock = FakeClock()
    first_session(clock, SORE_2)
    clock.advance(24 * 3600)
    before = answers(clock)
    naming = sum(
        path.read_text().count('region = "calf"')
        for path in (isolated_home / "journal").glob("*.toml")
    )
    edit_month_files(isolated_home, escaped_region)
    # A byte-level edit breaks the hash chain: `journal check` says which records changed,
    # and the commands that read holds stop (exit 4) until the person accepts it.
    code, out, _ = run_on(clock, ["journal", "check", "--json"])
    changed = json.loads(out)["problems"]
    assert code == 4 and len(changed) == naming >= 2  # each record that names the region
    assert all("was changed after it was written" in p["message"] for p in changed)
    assert run_on(clock, ["today"])[0] == 4
    assert run_on(clock, ["journal", "repair", "--accept-breaks"])[0] == 0
    after = answers(clock)
    assert after.pop("check")[:2] == (0, True)
    assert after == {name: value for name, value in before.items() if name != "check"}
    code, _, err = run_on(clock, ["session", "calf", "--side", "left"])
    assert code == 3 and "48 h of rest" in err


def old_mac(text: str) -> str:
    return text.replace("\n", "\r")


def test_bare_carriage_returns_are_refused_everywhere(isolated_home: Path) -> None:
    """Line ends TOML does not allow (a lone CR): every reader refuses the journal with
    exit 4, naming the file and line; none reads around it, and the session does not start."""
    clock = FakeClock()
    first_session(clock, SORE_8)
    clock.advance(3 * 24 * 3600)
    edit_month_files(isolated_home, old_mac)
    month = next((isolated_home / "journal").glob("*.toml"))
    for args in (
        ["journal", "check"],
        ["history"],
        ["history", "calf"],
        ["hold", "list"],
        ["today"],
        ["session", "calf", "--side", "left", "--override-rest"],
    ):
        code, out, err = run_on(clock, args)
        assert code == 4, (args, out, err)
        assert str(month) in out + err and "line 1" in out + err, (args, out, err)


def test_damage_in_an_old_month_stops_the_safety_checks_until_repaired(
    isolated_home: Path,
) -> None:
    """A torn record in a month from two years ago could be a hold: `session`, `log`,
    `today` and `hold list` stop with exit 4 naming it, and `journal repair` lets them
    go on (the torn text moved aside)."""
    from iastm_coach.journal.store import Journal, records
    from tests.builders import example

    clock = FakeClock()
    journal = Journal(isolated_home / "journal")
    old = clock.now().replace(year=clock.now().year - 2)
    journal.append(records.SESSION, example(records.SESSION), at=old)
    (month,) = journal.month_files()
    month.write_bytes(month.read_bytes() + b'\n[[hold]]\nid = "01J')
    for args in (["today"], ["hold", "list"], ["log", "neck", "--soreness", "2"]):
        code, out, err = run_on(clock, args)
        assert code == 4, (args, out, err)
        assert str(month) in err, (args, err)
    assert journal.month_files() == [month]  # log refused before writing anything
    code, _, err = run_on(clock, ["session", "calf", "--side", "left"])
    assert code == 4 and str(month) in err
    assert run_on(clock, ["journal", "repair"])[0] == 0
    assert run_on(clock, ["today"])[0] == 0
    assert run_on(clock, ["hold", "list"])[0] == 0
