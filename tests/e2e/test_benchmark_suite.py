"""The benchmark suite runs end to end and prints its one table (at a tiny size: a smoke
test; no timing is asserted anywhere in the test suite)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import REPO


@pytest.mark.slow  # about 80 short processes
def test_benchmark_suite_prints_one_table(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "IASTM_COACH_HOME"}
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "3", "--runs", "1",
         "--no-peer", "--note-chars", "10,100", "--cache-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [cell.strip() for cell in table[0].split("|")[1:-1]] == [
        "figure", "now", "floor or peer", "ratio", "goal", "met?"
    ]  # fmt: skip
    figures = "\n".join(table)
    for figure in (
        "iastm-coach --help",
        "history --last 20 @3",
        "history everything @3",
        "journal check @3",
        "report html @3 size",
        "100-character note",
    ):
        assert figure in figures, figure
    assert (tmp_path / "home-3" / "built").exists()
