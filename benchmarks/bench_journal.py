"""Reading the journal: the TOML parsers side by side, and whole commands warm and cold.

    python benchmarks/make_journal.py --sessions 10000 --home /tmp/coach-10k
    python benchmarks/bench_journal.py --home /tmp/coach-10k

Prints, for the month files under HOME: the time each installed TOML parser takes to
parse all of them (tomllib, the journal's own `parser.loads`, and any of tomli, rtoml,
pytomlpp and toml-rs that are installed, with whether their values and types equal
tomllib's), then the median of three whole `iastm-coach` processes for `journal check`,
`today`, `hold list` and `history --last 20`, cold (no parse cache, as on a new machine)
and warm, with the fast parser and with the tomllib fallback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COMMANDS = (["journal", "check"], ["today"], ["hold", "list"], ["history", "--last", "20"])


def identical(left: Any, right: Any) -> bool:
    """Equal values of the same types; datetimes with the same offset and tzinfo type."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(identical(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(identical, left, right))
    if isinstance(left, datetime):
        return (
            left == right
            and left.utcoffset() == right.utcoffset()
            and type(left.tzinfo) is type(right.tzinfo)
        )
    return bool(left == right) or left != left  # nan


def parsers() -> dict[str, Callable[[str], Any]]:
    import tomllib

    from iastm_coach.journal import parser

    found: dict[str, Callable[[str], Any]] = {
        "tomllib": tomllib.loads,
        f"journal ({parser.parser_name()})": parser.loads,
    }
    for name, call in (
        ("tomli", lambda m: m.loads),
        ("rtoml", lambda m: m.loads),
        ("pytomlpp", lambda m: m.loads),
        ("toml_rs", lambda m: lambda text: m.loads(text, toml_version="1.0.0")),
    ):
        try:
            found[name] = call(importlib.import_module(name))
        except ImportError:
            continue
    return found


def bench_parsers(journal: Path) -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(journal.glob("*.toml"))]
    size = sum(len(text.encode()) for text in texts) / 1e6
    print(f"{len(texts)} month files, {size:.1f} MB")
    import tomllib

    reference = [tomllib.loads(text) for text in texts]
    for name, loads in parsers().items():
        runs = []
        for _ in range(3):
            began = time.perf_counter()
            parsed = [loads(text) for text in texts]
            runs.append(time.perf_counter() - began)
        same = all(map(identical, reference, parsed))
        best = min(runs)
        print(f"  {name:26s} {best:6.2f} s  {size / best:5.1f} MB/s  identical to tomllib: {same}")


def bench_commands(home: Path) -> None:
    cache = home / "journal" / ".cache"
    for fallback in (False, True):
        env = {**os.environ, "IASTM_COACH_HOME": str(home)}
        if fallback:
            env["IASTM_COACH_TOML"] = "tomllib"
        label = "tomllib" if fallback else "fast"
        for args in COMMANDS:
            for mode in ("cold", "warm"):
                runs = []
                for _ in range(3):
                    if mode == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                    began = time.perf_counter()
                    subprocess.run(
                        [sys.executable, "-m", "iastm_coach", *args],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        check=False,
                    )
                    runs.append(time.perf_counter() - began)
                print(
                    f"  {label:8s} {mode:5s} {' '.join(args):22s} {statistics.median(runs):6.2f} s"
                )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--home", type=Path, required=True, help="IASTM_COACH_HOME to read")
    options.add_argument("--parsers-only", action="store_true")
    args = options.parse_args()
    bench_parsers(args.home / "journal")
    if not args.parsers_only:
        bench_commands(args.home)


if __name__ == "__main__":
    main()
