"""The benchmark suite of issue 14: every figure, one table.

    python benchmarks/run.py                   # everything (about 10 minutes on 2 cores)
    python benchmarks/run.py --runs 3          # fewer runs per figure
    python benchmarks/run.py --sizes 10,200 --no-peer --runs 1   # a smoke test

Journals of 10, 1,000, 10,000 and 30,000 sessions are built once with
`make_journal.py` and kept in --cache-dir (default: <tmp>/iastm-coach-bench-14);
the 30,000-session journal is spread over 50 years (two sittings a week would
start before 1970). Every figure is a whole process (the installed
`iastm-coach` script), the median of --runs runs (3 when one run takes more than
2 s), with bytecode compiled beforehand into a private prefix. Warm means the
journal's parse cache is present (as after any earlier command); cold means
`journal/.cache` was deleted before each run, as on a new machine.

Floors are `python -c pass` and `python -c "import typer"`; the peer is
`jrnl -n 20` (jrnl 4.x, installed into its own venv under /tmp when pip can
reach it; skipped, and said so, when it cannot). The table gives, per figure,
what it measures now, the floor, peer or smaller size it is compared with, the
ratio, the goal and whether it is met. Nothing here is asserted by the test
suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SIZES = (10, 1_000, 10_000, 30_000)
BIG = 10_000  # the size most goals are stated at
HUGE = 30_000  # the size growth is measured against
YEARS_FOR = {30_000: 50.0}  # two sittings a week would go back before 1970
SLOW_RUN_S = 2.0  # a figure whose first run takes longer is timed 3 times at most
NOTE_SIZES = (100_000, 1_000_000)  # characters in the one long note of a journal
JRNL_VENV = Path(tempfile.gettempdir()) / "jrnlvenv"  # bench_history.py uses it too
# What a kept journal was built as (in its `built` file): bump when the journal writes
# records differently, so that kept journals are built again and measure what a journal
# written today costs. 2: records carry the hash chain's `chain` line.
JOURNAL_FORMAT = "2"


def built_now(marker: Path) -> bool:
    """Whether the journal beside *marker* was built as the journal writes today."""
    try:
        return marker.read_text().strip() == JOURNAL_FORMAT
    except OSError:
        return False


@dataclass
class Row:
    figure: str
    now: float | None  # seconds (or bytes, with unit "MB")
    base_label: str = ""
    base: float | None = None
    goal: str = ""
    ok: bool | None = None
    unit: str = "s"
    ratio_override: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.ratio_override is not None:
            return self.ratio_override
        if self.now is None or not self.base:
            return None
        return self.now / self.base


def seconds(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "–"
    if unit == "MB":
        return f"{value / 1e6:.1f} MB"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


class Bench:
    def __init__(self, cache: Path, runs: int) -> None:
        self.cache = cache
        self.runs = runs
        self.pycache = cache / "pycache"
        script = Path(sys.executable).with_name("iastm-coach")
        self.coach = [str(script)] if script.exists() else [sys.executable, "-m", "iastm_coach"]
        # CPU seconds (user + system) of the process behind each median wall time: on a
        # busy machine the wall time of a run also holds time spent waiting for a core.
        self.cpu: dict[float, float] = {}
        self._cpu_samples: list[float] = []

    # -- journals

    def home(self, sessions: int) -> Path:
        years = YEARS_FOR.get(sessions)
        home = self.cache / f"home-{sessions}"
        done = home / "built"
        if not built_now(done):
            import make_journal

            shutil.rmtree(home, ignore_errors=True)
            print(f"building a {sessions}-session journal in {home} (once) ...", flush=True)
            make_journal.build(home, sessions, years=years, quiet=True)
            done.write_text(JOURNAL_FORMAT)
        return home

    def note_home(self, characters: int) -> Path:
        """A journal of one session whose note is *characters* long (words of 5 letters)."""
        home = self.cache / f"note-{characters}"
        done = home / "built"
        if not built_now(done):
            import random

            import make_journal

            from iastm_coach.journal.store import Journal

            shutil.rmtree(home, ignore_errors=True)
            journal = Journal(home / "journal")
            os.environ["IASTM_COACH_HOME"] = str(home)
            started = datetime(2026, 1, 10, 18, 0, tzinfo=timezone(timedelta(hours=1)))
            data = make_journal.session_data(random.Random(1), "calf", "left", "g1", started)
            data["note"] = ("words " * (characters // 6 + 1))[:characters]
            journal.append("session", data, at=data["ended"])
            done.write_text(JOURNAL_FORMAT)
        return home

    def scratch_home(self, sessions: int) -> Path:
        """A copy of a journal that commands which write (`log`) may change."""
        copy = self.cache / f"scratch-{sessions}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(self.home(sessions), copy)
        return copy

    # -- processes

    def env(self, home: Path | None) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("NO_COLOR", None)
        env.update(PYTHONPYCACHEPREFIX=str(self.pycache), COLUMNS="100", TERM="dumb")
        if home is not None:
            env["IASTM_COACH_HOME"] = str(home)
        return env

    def once(
        self, command: Sequence[str], env: dict[str, str], before: Callable[[], None]
    ) -> float:
        before()
        cpu = children_cpu()
        began = time.perf_counter()
        subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        wall = time.perf_counter() - began
        self._cpu_samples.append(children_cpu() - cpu)
        return wall

    def median(
        self,
        command: Sequence[str],
        home: Path | None = None,
        *,
        cold: bool = False,
        env: dict[str, str] | None = None,
    ) -> float:
        """The median wall time of *command*, each run a new process."""
        env = env or self.env(home)

        def prepare() -> None:
            if cold and home is not None:
                shutil.rmtree(home / "journal" / ".cache", ignore_errors=True)

        if self.runs > 1:  # one run is a smoke test: no warm-up
            self.once(command, env, lambda: None)  # bytecode, page cache, parse cache
        self._cpu_samples = []
        first = self.once(command, env, prepare)
        samples = [first]
        runs = self.runs if first < SLOW_RUN_S else min(self.runs, 3)
        samples += [self.once(command, env, prepare) for _ in range(runs - 1)]
        wall = statistics.median(samples)
        self.cpu[wall] = statistics.median(self._cpu_samples)
        return wall

    def side_by_side(self, command: Sequence[str], homes: Sequence[Path]) -> list[float]:
        """The median wall times of warm *command* on each of *homes*, taken in turn."""
        return self.in_turn([(command, self.env(home)) for home in homes])

    def in_turn(self, runs: Sequence[tuple[Sequence[str], dict[str, str]]]) -> list[float]:
        """The median wall times of each (command, environment) of *runs*, warm, their
        runs taken in turn (one of each, then again), so that a ratio between two of them
        is not a drift of the machine's speed between two series."""
        if self.runs > 1:  # one run is a smoke test: no warm-up
            for command, env in runs:
                self.once(command, env, lambda: None)
        walls: list[list[float]] = [[] for _ in runs]
        cpus: list[list[float]] = [[] for _ in runs]
        for _ in range(self.runs):
            for (command, env), wall, cpu in zip(runs, walls, cpus, strict=True):
                self._cpu_samples = []
                wall.append(self.once(command, env, lambda: None))
                cpu.append(self._cpu_samples[0])
        medians = [statistics.median(wall) for wall in walls]
        for median, cpu in zip(medians, cpus, strict=True):
            self.cpu[median] = statistics.median(cpu)
        return medians

    def first_output(self, command: Sequence[str], home: Path, *, cold: bool = False) -> float:
        """The median time until the first byte of output arrives through a pipe."""
        env = self.env(home)
        samples = []
        for index in range(self.runs + (self.runs > 1)):
            if cold:
                shutil.rmtree(home / "journal" / ".cache", ignore_errors=True)
            began = time.perf_counter()
            with subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            ) as process:
                assert process.stdout is not None
                process.stdout.read(1)
                arrived = time.perf_counter() - began
                while process.stdout.read(1 << 16):
                    pass
            if index or self.runs == 1:  # the first of several runs warms caches
                samples.append(arrived)
            if arrived > SLOW_RUN_S and len(samples) >= 3:
                break
        return statistics.median(samples)

    def coach_cmd(self, *args: str) -> list[str]:
        return [*self.coach, *args]

    def history_all(self) -> list[str]:
        """`history --all` where it exists, else `history --last` with a huge number."""
        probe = subprocess.run(
            self.coach_cmd("history", "--help"),
            capture_output=True,
            text=True,
            env=self.env(None),
            check=False,
        )
        if "--all" in probe.stdout:
            return self.coach_cmd("history", "--all", "--no-pager")
        return self.coach_cmd("history", "--last", "1000000")

    # -- the peer

    def jrnl(self, install: bool) -> Path | None:
        executable = JRNL_VENV / "bin" / "jrnl"
        if executable.exists() or not install:
            return executable if executable.exists() else None
        print(f"installing jrnl 4.x into {JRNL_VENV} (once) ...", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(JRNL_VENV)], check=True)
            subprocess.run(
                [str(JRNL_VENV / "bin" / "pip"), "install", "-q", "jrnl==4.*"],
                check=True,
                timeout=600,
            )
        except (subprocess.SubprocessError, OSError) as error:
            print(f"jrnl could not be installed ({error}): the peer is skipped", flush=True)
            shutil.rmtree(JRNL_VENV, ignore_errors=True)
            return None
        return executable if executable.exists() else None

    def jrnl_env(self, entries: int) -> dict[str, str]:
        from bench_history import build_jrnl, jrnl_env

        env = jrnl_env(build_jrnl(self.cache, entries))
        env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        return env


def children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def table(rows: Sequence[Row], cpu: dict[float, float] | None = None) -> str:
    """The table; *cpu* adds the CPU seconds behind a wall time ("0.864 s (cpu 0.80)")."""
    cpu = cpu or {}
    head = ("figure", "now", "floor or peer", "ratio", "goal", "met?")
    body = []
    for row in rows:
        base = f"{row.base_label} {seconds(row.base, row.unit)}" if row.base_label else ""
        if row.base_label and row.base is None:
            base = row.base_label
        ratio = row.ratio
        now = seconds(row.now, row.unit)
        if row.unit == "s" and row.now in cpu:
            now += f" (cpu {cpu[row.now]:.2f})"
        body.append(
            (
                row.figure,
                now,
                base,
                "" if ratio is None else f"{ratio:.2f}×",
                row.goal,
                {True: "yes", False: "NO", None: ""}[row.ok],
            )
        )
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    lines.append("| " + " | ".join("-" * w for w in widths) + " |")
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
        for line in body
    ]
    return "\n".join(lines)


def at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def measure(
    bench: Bench, sizes: Sequence[int], peer: bool, note_sizes: Sequence[int] = NOTE_SIZES
) -> list[Row]:
    rows: list[Row] = []
    big = BIG if BIG in sizes else max(sizes)
    huge = HUGE if HUGE in sizes else None
    small = min(sizes)
    homes = {size: bench.home(size) for size in sizes}
    label = f"@{big:,}"

    def note(text: str) -> None:
        print(f"  timing {text} ...", flush=True)

    note("floors, start-up and history --last 20")
    empty = bench.cache / "empty-home"
    empty.mkdir(exist_ok=True)
    # The floors and the start-up figures compared with them, in turn (see `in_turn`).
    last20 = bench.coach_cmd("history", "--last", "20")
    floor_pass, floor_typer, helped, versioned, small20, big20 = bench.in_turn(
        [
            ([sys.executable, "-c", "pass"], bench.env(None)),
            ([sys.executable, "-c", "import typer"], bench.env(None)),
            (bench.coach_cmd("--help"), bench.env(empty)),
            (bench.coach_cmd("--version"), bench.env(empty)),
            (last20, bench.env(homes[small])),
            (last20, bench.env(homes[big])),
        ]
    )
    rows.append(Row("python -c pass (floor)", floor_pass))
    rows.append(Row('python -c "import typer" (floor)', floor_typer))
    for flag, value in (("--help", helped), ("--version", versioned)):
        rows.append(
            Row(f"iastm-coach {flag}", value, "import typer", floor_typer, "≤ 1.3× import typer")
        )
        rows[-1].ok = at_most(rows[-1].ratio, 1.3)
    rows.append(Row(f"history --last 20 @{small:,} warm", small20))
    rows.append(
        Row(
            f"history --last 20 {label} warm",
            big20,
            "import typer",
            floor_typer,
            "≤ 2× import typer",
        )
    )
    rows[-1].ok = at_most(rows[-1].ratio, 2.0)
    rows.append(
        Row(f"history --last 20 {label} warm", big20, f"@{small:,}", small20, "flat (≤ 1.25×)")
    )
    rows[-1].ok = at_most(rows[-1].ratio, 1.25)
    jrnl = bench.jrnl(install=peer) if peer else None
    if jrnl is not None:
        note("jrnl -n 20")
        peer_time = bench.median([str(jrnl), "-n", "20"], env=bench.jrnl_env(big))
        rows.append(
            Row(
                f"history --last 20 {label} warm",
                big20,
                f"jrnl -n 20 ({big:,} entries)",
                peer_time,
                "faster than the peer",
            )
        )
        rows[-1].ok = at_most(rows[-1].ratio, 1.0)
    elif peer:
        rows.append(Row("jrnl -n 20 (peer)", None, "jrnl did not install here: skipped"))

    note("everyday commands, warm and cold")
    scratch = bench.scratch_home(big)
    everyday = [
        ("history --last 20", homes[big], last20),
        ("today", homes[big], bench.coach_cmd("today")),
        ("trend calf", homes[big], bench.coach_cmd("trend", "calf")),
        ("log calf", scratch, bench.coach_cmd("log", "calf", "--soreness", "2", "--minutes", "5")),
    ]
    for name, home, command in everyday:
        if command is not last20:  # timed warm above
            rows.append(Row(f"{name} {label} warm", bench.median(command, home)))
        cold = bench.median(command, home, cold=True)
        rows.append(Row(f"{name} {label} cold", cold, goal="≤ 1 s", ok=at_most(cold, 1.0)))

    note("history of everything")
    everything = bench.history_all()
    # In turn, every size: the 30k/10k ratio is of runs taken side by side.
    pipe = dict(zip(sizes, bench.side_by_side(everything, [homes[s] for s in sizes]), strict=True))
    for size in sizes:
        first = bench.first_output(everything, homes[size])
        rows.append(
            Row(
                f"history everything @{size:,}: first output",
                first,
                goal="≤ 0.3 s",
                ok=at_most(first, 0.3),
            )
        )
        whole = Row(f"history everything @{size:,} to a pipe, warm", pipe[size])
        if size == big:
            whole.goal, whole.ok = "≤ 1.5 s", at_most(pipe[size], 1.5)
        rows.append(whole)
    if huge is not None:
        rows.append(
            Row(
                f"history everything @{huge:,} / @{big:,}",
                pipe[huge],
                f"@{big:,}",
                pipe[big],
                "≤ 3.2×",
            )
        )
        rows[-1].ok = at_most(rows[-1].ratio, 3.2)
        first_cold = bench.first_output(everything, homes[huge], cold=True)
        rows.append(
            Row(
                f"history everything @{huge:,}: first output, cold",
                first_cold,
                goal="≤ 0.3 s",
                ok=at_most(first_cold, 0.3),
            )
        )
    # The listing's own goal (≤ 1.5 s), stated without "warm" as the report's is not, not
    # the 1 s of commands without one; how far it is from 1 s shows in the figure.
    cold_all = bench.median(everything, homes[big], cold=True)
    rows.append(Row(f"history everything {label} to a pipe, cold", cold_all, goal="≤ 1.5 s"))
    rows[-1].ok = at_most(cold_all, 1.5)

    note("long notes")
    note_times = {}
    for characters in note_sizes:
        home = bench.note_home(characters)
        note_times[characters] = bench.median(bench.coach_cmd("history"), home)
    short, long = note_sizes
    rows.append(
        Row(
            f"history, one {long:,}-character note",
            note_times[long],
            f"{short:,} characters",
            note_times[short],
            f"linear (≤ {long / short * 1.2:.0f}×)",
        )
    )
    rows[-1].ok = at_most(rows[-1].ratio, long / short * 1.2)

    note("journal check")
    check = bench.coach_cmd("journal", "check")
    check_warm = bench.median(check, homes[big])
    check_cold = bench.median(check, homes[big], cold=True)
    rows.append(Row(f"journal check {label} warm", check_warm, goal="≤ 1 s (journal-owner)"))
    rows[-1].ok = at_most(check_warm, 1.0)
    rows.append(Row(f"journal check {label} cold", check_cold, goal="(any ≤ 1 s)"))
    rows[-1].ok = at_most(check_cold, 1.0)

    note("report")
    out_dir = Path(tempfile.mkdtemp(prefix="report-", dir=bench.cache))
    for fmt in ("md", "html", "csv", "json"):
        out = out_dir / f"report.{fmt}"
        command = bench.coach_cmd("report", "--format", fmt, "--out", str(out), "--force")
        if huge is not None:  # side by side, for the ratio
            warm, grown = bench.side_by_side(command, [homes[big], homes[huge]])
        else:
            warm = bench.median(command, homes[big])
        cold = bench.median(command, homes[big], cold=True)
        rows.append(Row(f"report {fmt} {label} warm", warm, goal="≤ 0.5 s", ok=at_most(warm, 0.5)))
        rows.append(Row(f"report {fmt} {label} cold", cold, goal="≤ 1.5 s", ok=at_most(cold, 1.5)))
        size = out.stat().st_size
        sensible = Row(f"report {fmt} {label} size", size, unit="MB")
        if fmt in ("md", "html"):
            sensible.goal, sensible.ok = "≤ 1 MB (older years summarised)", size <= 1e6
        rows.append(sensible)
        if huge is not None:
            rows.append(
                Row(f"report {fmt} @{huge:,} warm", grown, f"@{big:,}", warm, "≤ 3.2× (linear)")
            )
            rows[-1].ok = at_most(rows[-1].ratio, 3.2)
    shutil.rmtree(out_dir, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in SIZES),
        help="journal sizes in sessions, comma-separated (default: 10,1000,10000,30000)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "iastm-coach-bench-14",
        help="where built journals are kept between runs",
    )
    parser.add_argument(
        "--no-peer", action="store_true", help="skip jrnl (and do not try to install it)"
    )
    parser.add_argument(
        "--note-chars",
        default=",".join(str(size) for size in NOTE_SIZES),
        help="the two note lengths compared (default: 100000,1000000)",
    )
    args = parser.parse_args(argv)
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    bench = Bench(args.cache_dir, max(1, args.runs))
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    note_sizes = sorted(int(size) for size in args.note_chars.split(","))[:2]
    rows = measure(bench, sizes, peer=not args.no_peer, note_sizes=note_sizes)
    print()
    print(
        f"iastm-coach benchmarks: median of {bench.runs} runs each "
        f"({time.perf_counter() - began:.0f} s in all; journals in {args.cache_dir})"
    )
    print(table(rows, bench.cpu))
    print(
        "now: median wall time (and CPU seconds, user + system, of the same runs); ratios "
        "and goals use wall times"
    )
    cores = os.cpu_count() or 1
    print(
        f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        f"on {cores} cores: above {cores} other work competed for the cores and wall times "
        "are inflated (compare the CPU seconds)"
    )
    missed = [row.figure for row in rows if row.ok is False]
    print(f"\n{len(missed)} goal{'s' * (len(missed) != 1)} missed" if missed else "\nall goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
