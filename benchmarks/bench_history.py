"""Benchmark the journal against the targets of issue 4.

    python benchmarks/bench_history.py            # builds the journals once, then times
    python benchmarks/bench_history.py --runs 15 --jrnl /tmp/jrnlvenv/bin/jrnl

What it measures, each as a median of several runs in this one run:

- `iastm-coach history --last 20` (a fresh process each time) on a 10-session
  and on 10,000-session journals: the big/small ratio must be at most 1.25;
- `jrnl -n 20` on a 10,000-entry jrnl journal (jrnl 4.6 in its own venv, see
  --jrnl), which ours must beat at least 3×;
- appending one record in-process at each size: at most 20 ms;
- a full scan of the 10,000-session journal in-process: under 1 s (with the
  parse cache warm, as it is after the first scan; the one-off cold scan is
  reported too).

Journals are built once with make_journal.py and cached in --cache-dir
(default: <tmp>/iastm-coach-bench). Python writes bytecode to a private
prefix so that every run is timed like an installed program, whatever
PYTHONDONTWRITEBYTECODE says.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_journal

from iastm_coach.journal.store import Journal

RECENT_FALLBACK = (
    "import os, pathlib; from iastm_coach.journal.store import Journal; "
    "Journal(pathlib.Path(os.environ['IASTM_COACH_HOME']) / 'journal').recent("
    "kinds={'session'}, limit=20)"
)


@dataclass(frozen=True)
class Case:
    name: str
    sessions: int
    years: float | None


CASES = [
    Case("10 sessions", 10, None),
    Case("10,000 sessions, 2 sittings a week (33 years)", 10_000, None),
    Case("10,000 sessions in 10 years (denser months)", 10_000, 10.0),
]


def build_journals(cache: Path) -> dict[Case, Path]:
    homes: dict[Case, Path] = {}
    for case in CASES:
        home = cache / f"home-{case.sessions}-{case.years or 'weekly'}"
        done = home / "built"
        if not done.exists():
            shutil.rmtree(home, ignore_errors=True)
            print(f"building {case.name} in {home} ...", flush=True)
            make_journal.build(home, case.sessions, years=case.years)
            done.touch()
        homes[case] = home
    return homes


def program_env(home: Path, pycache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        IASTM_COACH_HOME=str(home), PYTHONPYCACHEPREFIX=str(pycache), COLUMNS="100", TERM="dumb"
    )
    return env


def history_command() -> tuple[list[str], str]:
    """The real `iastm-coach history --last 20`, or Journal.recent if it is missing."""
    script = Path(sys.executable).with_name("iastm-coach")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "iastm_coach"]
    probe = subprocess.run([*base, "history", "--help"], capture_output=True, check=False)
    if probe.returncode == 0:
        return [*base, "history", "--last", "20"], " ".join(
            ["iastm-coach", "history", "--last", "20"]
        )
    note = "python -c Journal.recent(limit=20)  (`iastm-coach history` does not exist yet)"
    return [sys.executable, "-c", RECENT_FALLBACK], note


def time_process(command: Sequence[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - began


def medians(commands: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, float]:
    """Median wall time of each command, runs interleaved so drift hits all alike."""
    for command, env in commands.values():  # warm-up: bytecode, page cache, parse cache
        time_process(command, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, env) in commands.items():
            samples[name].append(time_process(command, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def append_times(home: Path, count: int = 50) -> tuple[float, float]:
    """Median and worst time of one in-process append, on a copy of the journal."""
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp) / "journal"
        shutil.copytree(home / "journal", directory)
        journal = Journal(directory)
        last = journal.recent(limit=1)[0].at
        rng = random.Random(1)
        times = []
        for n in range(count):
            data = make_journal.session_data(rng, "calf", "left", "bench", last)
            began = time.perf_counter()
            journal.append("session", data, at=last + timedelta(minutes=n + 1))
            times.append(time.perf_counter() - began)
    return statistics.median(times), max(times)


def scan_times(home: Path, runs: int) -> tuple[float, float, int]:
    """(warm median, cold once, records) for a full in-process scan."""
    directory = home / "journal"
    Journal(directory).recent(limit=1)
    warm = []
    count = 0
    for _ in range(runs):
        began = time.perf_counter()
        count = sum(1 for _ in Journal(directory).scan())
        warm.append(time.perf_counter() - began)
    with tempfile.TemporaryDirectory() as temp:
        copy = Path(temp) / "journal"
        shutil.copytree(directory, copy, ignore=shutil.ignore_patterns(".cache"))
        began = time.perf_counter()
        sum(1 for _ in Journal(copy).scan())
        cold = time.perf_counter() - began
    return statistics.median(warm), cold, count


def build_jrnl(cache: Path, entries: int) -> Path:
    """A jrnl 4.6 plain-text journal with *entries* entries, and its config; the XDG dir."""
    root = cache / f"jrnl-{entries}"
    config_home = root / "config"
    done = root / "built"
    if done.exists():
        return config_home
    shutil.rmtree(root, ignore_errors=True)
    (config_home / "jrnl").mkdir(parents=True)
    journal_file = root / "journal.txt"
    rng = random.Random(entries)
    moment = datetime(2026, 1, 15, 20, 0) - timedelta(days=entries * 3.5 / 3)
    lines = []
    for n in range(entries):
        moment += timedelta(hours=rng.uniform(10, 50))
        region = rng.choice(sorted(make_journal.REGIONS))
        title = f"{region.capitalize()} session {n}, soreness {rng.randint(0, 6)}."
        body = rng.choice(make_journal.NOTES) or "Nothing special today."
        lines.append(f"[{moment:%Y-%m-%d %I:%M:%S %p}] {title} {body}\n@iastm #{region}\n\n")
    journal_file.write_text("".join(lines))
    (config_home / "jrnl" / "jrnl.yaml").write_text(
        "colors: {body: none, date: none, tags: none, title: none}\n"
        "default_hour: 9\ndefault_minute: 0\neditor: ''\nencrypt: false\nhighlight: true\n"
        "indent_character: '|'\n"
        f"journals:\n  default:\n    journal: {journal_file}\n"
        "linewrap: 79\ntagsymbols: '#@'\ntemplate: false\ntimeformat: '%F %r'\nversion: v4.6\n"
    )
    done.touch()
    return config_home


def jrnl_env(config_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(XDG_CONFIG_HOME=str(config_home), COLUMNS="100", TERM="dumb")
    return env


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs per command")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "iastm-coach-bench"
    )
    parser.add_argument(
        "--jrnl", type=Path, default=Path("/tmp/jrnlvenv/bin/jrnl"), help="a jrnl 4.6 executable"
    )
    args = parser.parse_args(argv)
    cache: Path = args.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    pycache = cache / "pycache"
    homes = build_journals(cache)
    command, described = history_command()

    commands = {case.name: (command, program_env(home, pycache)) for case, home in homes.items()}
    jrnl_ok = args.jrnl.exists()
    if jrnl_ok:
        for entries in (10, 10_000):
            config = build_jrnl(cache, entries)
            commands[f"jrnl {entries}"] = ([str(args.jrnl), "-n", "20"], jrnl_env(config))
    timed = medians(commands, args.runs)

    small = timed[CASES[0].name]
    print(f"\n{described}: median of {args.runs} runs, each a new process")
    for case in CASES:
        ratio = timed[case.name] / small
        line = f"  {case.name:<48} {timed[case.name] * 1000:7.1f} ms"
        if case is not CASES[0]:
            line += f"   {ratio:.2f}× the small journal (target ≤ 1.25: {verdict(ratio <= 1.25)})"
        print(line)
    if jrnl_ok:
        jrnl_small, jrnl_big = timed["jrnl 10"], timed["jrnl 10000"]
        print(f"\njrnl -n 20 ({args.jrnl}): median of {args.runs} runs")
        print(f"  10 entries                                       {jrnl_small * 1000:7.1f} ms")
        print(
            f"  10,000 entries                                   {jrnl_big * 1000:7.1f} ms"
            f"   {jrnl_big / jrnl_small:.2f}× its small journal"
        )
        for case in CASES[1:]:
            speedup = jrnl_big / timed[case.name]
            print(
                f"  ours ({case.name}): {speedup:.1f}× faster than jrnl "
                f"(target ≥ 3: {verdict(speedup >= 3)})"
            )
    else:
        print(f"\njrnl not found at {args.jrnl}: skipped (pip install jrnl==4.6 in its own venv)")

    print("\nAppending one session record in-process (50 appends, fsync included)")
    for case, home in homes.items():
        median, worst = append_times(home)
        print(
            f"  {case.name:<48} median {median * 1000:5.2f} ms, worst {worst * 1000:5.2f} ms"
            f"   (target ≤ 20 ms: {verdict(worst <= 0.020)})"
        )

    print("\nFull scan in-process (every record, oldest first)")
    for case, home in list(homes.items())[1:]:
        warm, cold, count = scan_times(home, max(3, args.runs // 2))
        print(
            f"  {case.name:<48} {count} records: {warm:.3f} s with the parse cache "
            f"(target < 1 s: {verdict(warm < 1)}); first scan without it {cold:.2f} s"
        )


if __name__ == "__main__":
    main()
