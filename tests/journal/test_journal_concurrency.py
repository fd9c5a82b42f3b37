"""Reliability: concurrent writers and writers killed mid-append (real processes)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iastm_coach.errors import DataFileError
from iastm_coach.journal.store import Journal
from tests.builders import REPO

CONCURRENT_WRITER = """
import sys, time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from iastm_coach.journal.sessions import ProtocolStamp, session_fields
from iastm_coach.journal.store import Journal

directory, go = Path(sys.argv[1]), Path(sys.argv[4])
worker, count = int(sys.argv[2]), int(sys.argv[3])
journal = Journal(directory)
while not go.exists():
    time.sleep(0.001)
# 23:00 UTC on 31 January: the records spill over into February's file.
base = datetime(2024, 1, 31, 23, 0, tzinfo=timezone.utc)
for n in range(count):
    at = base + timedelta(seconds=20 * n, milliseconds=worker)
    data = {"session": "01KERFJEGG15ND5D3HJRKABJRG", "hours": 24, "soreness": n % 11,
            "bruising": False, "numbness": False, "swelling": False, "worse": False,
            "note": "x" * (n % 97), "worker": worker, "n": n}
    journal.append("checkin", data, at=at)
"""

KILLED_WRITER = """
import random, sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from iastm_coach.journal.sessions import ProtocolStamp, session_fields
from iastm_coach.journal.store import Journal

directory, run = Path(sys.argv[1]), int(sys.argv[2])
journal = Journal(directory)
rng = random.Random(run)
# Two runs share each month file: a later run appends after an earlier run's torn tail.
month = run // 2
base = datetime(2020 + month // 12, 1 + month % 12, 1, tzinfo=timezone.utc)
base += timedelta(days=14 * (run % 2))
print("ready", flush=True)
n = 0
while True:
    size = rng.choice([1, 50, 400, 3000, 40000, 400000])
    started = base + timedelta(seconds=n)
    data = session_fields(
        region="calf", side="left", group=f"g{run}-{n}", source="timer",
        protocol=ProtocolStamp("calf", "1", "built-in", "0" * 64),
        started=started, ended=started, planned_s=60, actual_s=n % 61, soreness=2,
        areas=[{"name": "a", "planned_s": 60, "actual_s": n % 61, "status": "done"}],
        note="é" * size,
    )
    data.update(run=run, n=n)
    record = journal.append("session", data, at=started)
    sys.stdout.write(record.id + "\\n")
    sys.stdout.flush()
    n += 1
"""


def python(code: str, *args: object) -> list[str]:
    return [sys.executable, "-c", code, *map(str, args)]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.slow
def test_four_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    """4 processes × 250 appends at the same time: exactly 1,000 valid records."""
    directory = tmp_path / "journal"
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(python(CONCURRENT_WRITER, directory, worker, 250, go), env=child_env())
        for worker in range(4)
    ]
    time.sleep(0.3)  # let them all start and wait at the line
    go.touch()
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0, 0]
    journal = Journal(directory)
    report = journal.check_report()
    assert report.errors == []
    assert report.records == 1000
    assert [p.name for p in journal.month_files()] == ["2024-01.toml", "2024-02.toml"]
    records = list(journal.scan())
    assert len(records) == 1000
    assert len({r.id for r in records}) == 1000
    assert {(r.data["worker"], r.data["n"]) for r in records} == {
        (w, n) for w in range(4) for n in range(250)
    }
    assert [r.at for r in records] == sorted(r.at for r in records)


@pytest.mark.slow
def test_writers_killed_mid_append_lose_at_most_the_record_in_flight(tmp_path: Path) -> None:
    """SIGKILL a writer 50 times at random moments; load or repair keeps every finished record.

    A record counts as finished once append() returned (the writer printed its
    id). Each kill may leave one more record — complete or torn — that was in
    flight. The next run appends after whatever was left, so this also shows
    that a torn tail never spoils the records written after it.
    """
    directory = tmp_path / "journal"
    rng = random.Random(2024)
    finished: list[str] = []
    damaged_runs = 0
    runs = 50
    for run in range(runs):
        writer = subprocess.Popen(
            python(KILLED_WRITER, directory, run),
            env=child_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.12))
        writer.send_signal(signal.SIGKILL)
        output, _ = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL
        finished.extend(output.split("\n")[:-1])  # a line cut short by the kill is not finished
        try:
            Journal(directory).recent(limit=1)
        except DataFileError:
            damaged_runs += 1
    journal = Journal(directory)
    journal.repair()
    assert journal.check_report().errors == []
    kept = [record.id for record in journal.scan()]
    assert set(finished) <= set(kept), "a finished record was lost"
    assert len(kept) - len(finished) <= runs  # at most one record in flight per kill
    assert len(kept) == len(set(kept))
    print(f"{len(finished)} finished records; {damaged_runs} of {runs} kills left a torn tail")
