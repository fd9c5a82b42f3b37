"""Regenerate docs/report-first-page.png: the runner's four weeks (tests/builders.py) as
the HTML report, screenshotted by headless Chromium. Run from the repository:

    .venv/bin/python docs/make_screenshot.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.builders import runner_page  # noqa: E402

with tempfile.TemporaryDirectory() as folder:
    html = Path(folder) / "report.html"
    html.write_text(runner_page(Path(folder)), encoding="utf-8")
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={REPO / 'docs' / 'report-first-page.png'}", "--window-size=900,1400",
         html.as_uri()],
        check=True,
        capture_output=True,
    )  # fmt: skip
