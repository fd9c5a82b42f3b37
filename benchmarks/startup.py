"""Start-up time of `iastm-coach --help` / `--version` against `python -c "import typer"`.

Run: python benchmarks/startup.py [--runs 21]
Target (issue 2): `iastm-coach --help` median at most 1.6x the `import typer` median.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    script = shutil.which("iastm-coach") or str(Path(sys.executable).parent / "iastm-coach")
    baseline = median_seconds([sys.executable, "-c", "import typer"], args.runs)
    rows = [("python -c 'import typer'", baseline)]
    for label, command in (
        ("iastm-coach --help", [script, "--help"]),
        ("iastm-coach --version", [script, "--version"]),
        ("iastm-coach protocol --help", [script, "protocol", "--help"]),
    ):
        rows.append((label, median_seconds(command, args.runs)))
    for label, seconds in rows:
        print(f"{label:32} {seconds * 1000:7.1f} ms  {seconds / baseline:5.2f}x")
    ratio = rows[1][1] / baseline
    verdict = "meets" if ratio <= 1.6 else "MISSES"
    print(f"--help is {ratio:.2f}x import typer: {verdict} the 1.6x target")
    return 0 if ratio <= 1.6 else 1


if __name__ == "__main__":
    sys.exit(main())
