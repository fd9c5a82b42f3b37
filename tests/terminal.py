"""Running the installed program as a person does: in a pseudo-terminal, or piped.

`spawn` is the one way tests start a child in a pseudo-terminal. The child gets the default
handling of Ctrl-C and Ctrl-\\ whatever pytest itself was given: a shell starts a background
job (`pytest … &`) with SIGINT and SIGQUIT ignored, the child would inherit that, and a
test pressing Ctrl-C would then wait in vain for the program to stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pexpect

# The console script next to this interpreter (the venv's), not whichever one is on PATH.
PROGRAM = shutil.which("iastm-coach", path=str(Path(sys.executable).parent)) or "iastm-coach"


def default_signals() -> None:
    """In the child, before exec: Ctrl-C and Ctrl-\\ act as in a person's terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def terminal_env(**changes: str) -> dict[str, str]:
    """This environment as a colour terminal would give it (no NO_COLOR, no fixed size),
    with *changes*."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    env.update(changes)
    return env


def spawn(
    program: str,
    args: list[str],
    *,
    env: dict[str, str] | None = None,
    dimensions: tuple[int, int] = (40, 110),
    timeout: float = 30,
    **options: Any,
) -> pexpect.spawn:
    """*program* with *args* in a fresh pseudo-terminal of *dimensions* (rows, columns),
    decoding UTF-8 (a Ctrl-C may cut a multi-byte character in half, hence 'replace')."""
    options.setdefault("encoding", "utf-8")
    options.setdefault("codec_errors", "replace")
    return pexpect.spawn(
        program,
        args,
        env=env,
        dimensions=dimensions,
        timeout=timeout,
        preexec_fn=default_signals,
        **options,
    )


MEASURE_BEFORE = r"before you start \(optional\)\? \[y/N\]"


def answer_safety_check(child: pexpect.spawn, *, soreness: str = "1", age: str = "40") -> None:
    """The safety check at a terminal, up to the optional "before" measurement: soreness
    first, yes to the first-use questions ([y/n], no default: a physio showed me, a smooth
    tool, the problem was assessed), the age once, and no to every grouped question
    ([y/N])."""
    prompts = [MEASURE_BEFORE, r"\[y/n\]", r"\[y/N\]", r"\[0-10\]", r"\[0-120\]"]
    while (index := child.expect(prompts)) > 0:
        child.sendline(["", "y", "n", soreness, age][index])


def start_strokes(child: pexpect.spawn, before: Sequence[str] = ()) -> None:
    """Answer the optional "before" measurement (one value per side, or no), then press
    Enter at the get-ready screen: the measurement comes before the lotion."""
    child.sendline("y" if before else "n")
    for value in before:
        child.expect(r"before the strokes, in cm")
        child.sendline(value)
    child.expect("Press Enter when you")
    child.sendline("")


def answer_aftercare(child: pexpect.spawn, soreness: str, note: str = "") -> None:
    """Right after the strokes: soreness, no to the warning signs (one grouped question),
    and *note* for the journal."""
    child.expect(r"Soreness now.*\[0-10\]")
    child.sendline(soreness)
    child.expect(r"\[y/n\]")
    child.sendline("n")
    child.expect("A note for your journal")
    child.sendline(note)


def quit_and_say_why(child: pexpect.spawn) -> None:
    """q, 'Quit the session?' y, and 'something else, or just stopping' as the reason."""
    child.send("q")
    child.expect("Quit the session")
    child.send("y")
    child.expect(r"Why did you stop\?")
    child.sendline("5")


def pass_area_checks(child: pexpect.spawn, count: int) -> None:
    """Answer *count* one-key discomfort checks at area breaks with Enter (fine)."""
    for _ in range(count):
        child.expect("Discomfort now")
        child.send("\r")
