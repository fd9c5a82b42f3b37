"""Prompts and key presses of a routine calf session and of the exercise guide, as a person
at a terminal answers them (issue 12's measure of how much a session asks).

Run: python benchmarks/prompts.py [--program PATH-TO-iastm-coach]

A first session sets up the journal (first-use questions), the 24 h and 48 h check-ins are
answered, and then the routine session three days later is counted: every question up to
"with a guide?", then the guide for all the calf's exercises. Each answer is the fewest keys
a person would type: Enter where there is a default, "n" + Enter for a yes/no without one,
"1" + Enter for a score. Pass another build's program to compare before and after.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pexpect

PROMPTS = [
    r"\[y/n\]",  # 0: yes/no without a default
    r"\[y/N\]|\[Y/n\]",  # 1: yes/no with a default
    r"\[0-10\]",  # 2: a score
    r"\(Enter to skip\)",  # 3: optional text or number
    r"Press Enter when you are ready",  # 4
    r"\[done/skip/quit, Enter = done\]",  # 5: one key per exercise set
    r"with a guide\? \[Y/n\]",  # 6: the guide starts here
    r"\[0-120\]",  # 7: the age, asked once
    r"Discomfort now\?",  # 8: the one-key check at an area break
]
YES_FIRST_USE = ("smooth", "shown you", "assessed")


@dataclass
class Count:
    prompts: int = 0
    keys: int = 0

    def add(self, keys: str) -> None:
        self.prompts += 1
        self.keys += len(keys) + 1  # the answer and Enter


def run(program: str, home: Path, when: str, *args: str) -> pexpect.spawn:
    env = {
        "IASTM_COACH_HOME": str(home),
        "IASTM_COACH_NOW": when,
        "IASTM_COACH_TIME_SCALE": "0.001",
        "TERM": "xterm-256color",
        "PATH": "/usr/bin:/bin",
    }
    return pexpect.spawn(
        program, list(args), env=env, encoding="utf-8", codec_errors="replace", timeout=60,
        dimensions=(40, 110),
    )  # fmt: skip


def answer(child: pexpect.spawn, *, guide: bool) -> tuple[Count, Count]:
    """Answer until the program ends; (session before the guide, the guide)."""
    session, exercises = Count(), Count()
    counting = session
    patterns = [re.compile(p) for p in PROMPTS[::-1]] + [pexpect.EOF]  # most specific first
    while True:
        index = child.expect(patterns)
        if index == len(patterns) - 1:
            return session, exercises
        kind = len(PROMPTS) - 1 - index
        before = child.before[-300:]
        if kind == 6:
            counting.add("" if guide else "n")
            counting = exercises
            keys = "" if guide else "n"
        elif kind == 0:
            keys = "y" if any(word in before for word in YES_FIRST_USE) else "n"
            counting.add(keys)
        elif kind == 2:
            keys = "1"
            counting.add(keys)
        elif kind == 7:
            keys = "40"
            counting.add(keys)
        elif kind == 8:
            counting.add("")  # one key: Enter = fine
            child.send("\r")
            continue
        elif kind == 1 and "before you start" in before:
            keys = "n"  # no measurement in a routine session
            counting.add(keys)
        else:
            keys = ""
            counting.add(keys)
        child.sendline(keys)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default = shutil.which("iastm-coach", path=str(Path(sys.executable).parent))
    parser.add_argument("--program", default=default or "iastm-coach")
    program = parser.parse_args().program
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        side = ["session", "calf", "--side", "left", "--no-bell"]
        answer(run(program, home, "2026-03-02T18:30:00+01:00", *side), guide=False)
        for day in ("03", "04"):
            answer(run(program, home, f"2026-03-{day}T19:00:00+01:00", "checkin"), guide=False)
        session, guide = answer(run(program, home, "2026-03-05T19:00:00+01:00", *side), guide=True)
    print(f"program: {program}")
    print(f"routine session, up to and including 'with a guide?': {session.prompts} prompts, "
          f"{session.keys} key presses")  # fmt: skip
    print(f"exercise guide (all the calf's exercises): {guide.prompts} prompts, "
          f"{guide.keys} key presses")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
