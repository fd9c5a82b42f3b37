"""Benchmark: `iastm-coach report` over a 10,000-session journal (target: under 0.5 s).

    python benchmarks/bench_report.py                      # builds /tmp/iastm-bench-10000 once
    python benchmarks/bench_report.py --sessions 10000 --home DIR --repeat 5

The journal comes from `benchmarks/make_journal.py` (built once, then reused):
besides sessions, check-ins, screenings and holds it holds guided-exercise
records and outcome measures (before and after sessions, and on their own), so
the exercise adherence and the outcome-measure sections are part of the work
timed. A journal built by an older make_journal without them is refused (build
a new one with another --home). It prints, best of --repeat runs:

- the whole command in a fresh process (`report --format F --out FILE`), wall
  clock and CPU, for each format: asked again about an unchanged journal (the
  stored report, `report/stored.py`: the figure the target is about), and the
  first report after a change (the journal's parse cache warm, the stored report
  deleted: it is built, and stored);
- in one process: the journal scan, building the report model (scan,
  protocols and model), and rendering each format, to show where time goes.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_S = 0.5
FORMATS = ("md", "html", "csv", "json")


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_command(
    repeat: int, home: Path, fmt: str, out: Path, *, stored: bool = True
) -> tuple[float, float]:
    """Best wall-clock and best CPU (user + system) seconds of the command (without
    *stored*: with the stored report deleted before each run)."""
    walls, cpus = [], []
    for _ in range(repeat):
        if not stored:
            for path in (home / "journal" / ".cache").glob("derived-*"):
                path.unlink()
        cpu = children_cpu()
        start = time.perf_counter()
        run_command(home, fmt, out)
        walls.append(time.perf_counter() - start)
        cpus.append(children_cpu() - cpu)
    return min(walls), min(cpus)


def ensure_journal(home: Path, sessions: int) -> None:
    if (home / "journal").is_dir() and any((home / "journal").glob("*.toml")):
        return
    print(f"building a {sessions}-session journal in {home} (once) ...", flush=True)
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "make_journal.py"), "--sessions", str(sessions),
         "--home", str(home)],
        check=True,
    )  # fmt: skip


def run_command(home: Path, fmt: str, out: Path) -> None:
    env = {**os.environ, "IASTM_COACH_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-m", "iastm_coach", "report", "--format", fmt, "--out", str(out),
         "--force"],
        check=True, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    home = args.home or Path(tempfile.gettempdir()) / f"iastm-bench-{args.sessions}"
    ensure_journal(home, args.sessions)
    os.environ["IASTM_COACH_HOME"] = str(home)
    sys.path.insert(0, str(REPO))

    from iastm_coach.journal.store import Journal
    from iastm_coach.report.build import render
    from iastm_coach.report.context import make_report

    journal_dir = home / "journal"
    kinds = Counter(record.kind for record in Journal(journal_dir).scan())
    print(
        f"journal: {journal_dir} ({kinds['session']} sessions, {kinds['measure']} measures, "
        f"{kinds['exercise']} exercise records, {sum(kinds.values())} records in all)"
    )
    if not kinds["exercise"] or not kinds["measure"]:
        print(
            "this journal lacks exercise or measure records (an older make_journal built it): "
            "use another --home",
            file=sys.stderr,
        )
        return 2
    # Warm the journal's parse cache (as any earlier command would have).
    run_command(home, "csv", Path(tempfile.gettempdir()) / "iastm-bench-warm.csv")

    print(f"\nwhole command in a fresh process (wall clock and CPU), best of {args.repeat}:")
    worst = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for fmt in FORMATS:
            out = Path(scratch) / f"report.{fmt}"
            built, built_cpu = best_command(args.repeat, home, fmt, out, stored=False)
            seconds, cpu = best_command(args.repeat, home, fmt, out)
            worst = max(worst, seconds)
            size = out.stat().st_size / 1e6
            print(
                f"  report --format {fmt:<4}  stored {seconds:5.2f} s wall {cpu:5.2f} s CPU;"
                f"  built {built:5.2f} s wall {built_cpu:5.2f} s CPU  ({size:.1f} MB)"
            )

    print(f"\nin one process (garbage collector paused, as `report` does), best of {args.repeat}:")
    gc.disable()
    now = datetime.now().astimezone()
    scan = best_of(args.repeat, lambda: sum(1 for _ in Journal(journal_dir).scan()))
    print(f"  journal scan (all records)       {scan:6.2f} s")
    model = best_of(args.repeat, lambda: make_report(Journal(journal_dir), since=None, now=now))
    print(f"  scan + protocols + report model  {model:6.2f} s")
    report = make_report(Journal(journal_dir), since=None, now=now)
    for fmt in FORMATS:
        seconds = best_of(args.repeat, partial(render, report, fmt))
        print(f"  render {fmt:<4}                      {seconds:6.2f} s")

    verdict = "meets" if worst < TARGET_S else "MISSES"
    print(f"\nslowest format {worst:.2f} s: {verdict} the target of < {TARGET_S:.1f} s")
    print(f"(load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
