"""One path to the screen: Rich is imported only where screens are drawn.

The core (journal, protocols, safety, session, history, report and the base
modules) returns data or talks to a view passed in, so it can run and be tested
without a terminal, and a screen can change without touching a clinical rule.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.builders import REPO

PACKAGE = REPO / "iastm_coach"
CORE_PACKAGES = ("journal", "protocols", "safety", "session", "history", "report")
BASE_MODULES = ("clock", "context", "errors", "paths", "safe_text", "learn")
# Where screens are drawn: the views, and nothing else.
DRAWING = (PACKAGE / "views",)


def core_modules() -> list[str]:
    names = [f"iastm_coach.{name}" for name in BASE_MODULES]
    for package in CORE_PACKAGES:
        names += [
            f"iastm_coach.{package}.{path.stem}"
            for path in sorted((PACKAGE / package).glob("*.py"))
            if path.stem != "__init__"
        ]
    return names


def test_importing_the_whole_core_loads_no_rich() -> None:
    """In a fresh interpreter, every core module imports without Rich (or any view)."""
    modules = core_modules()
    assert "iastm_coach.session.flow" in modules and "iastm_coach.report.build" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'rich' or m.startswith(('rich.', "
        "'iastm_coach.views'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "[]"


def rich_imports(path: Path) -> list[str]:
    """`import rich...` / `from rich... import` anywhere in a module (lazy ones too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "rich"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rich":
            found.append(str(node.module))
    return found


def test_only_views_import_rich() -> None:
    """No module outside views/ imports Rich, not even inside a function."""
    offenders = {
        str(path.relative_to(REPO)): rich_imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if not any(path.is_relative_to(place) for place in DRAWING) and rich_imports(path)
    }
    assert offenders == {}


def test_the_transitional_shims_are_gone() -> None:
    """The commands import the line conversation and the red-flag panel from the views;
    the core's modules no longer hand them out, and a check-in's result is shown as data
    (a hold as a HoldNotice), so `views.shown.render` draws only `session/shown.py` items."""
    from iastm_coach.session import aftercare, conversation
    from iastm_coach.views import recorded

    assert not hasattr(conversation, "LineConversation")
    assert not hasattr(aftercare, "red_flag_panel")
    assert recorded.checkin_recorded.__annotations__["return"] == "list[Shown]"
