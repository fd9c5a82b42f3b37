"""How many prompts a calf session asks: a first session, and a routine one three days later.

Run: python benchmarks/prompt_count.py
A prompt is anything the person must answer (y/n, a number, a choice, a note, Enter).
Scripted answers: nothing to declare, soreness 1 before and 2 after, the left side, no
measurement, no exercises; the follow-ups of the first session are answered (soreness 1)
before the routine one. Counted before the first stroke and for the whole session.
Target (issue 10 item 8): a routine session asks at most 8 prompts before the first stroke.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.builders import prompt_counts


def main() -> int:
    with tempfile.TemporaryDirectory() as directory, contextlib.redirect_stdout(io.StringIO()):
        counts = prompt_counts(Path(directory))
    print(f"{'calf session':<22}{'before the strokes':>20}{'whole session':>16}")
    for label, (before, total) in counts.items():
        print(f"{label:<22}{before:>20}{total:>16}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
