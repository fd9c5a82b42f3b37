"""The test suite's own shape: helpers come from shared modules, never from another test module.

A test module that imports from another one runs that module's fixtures and collection
side effects twice (once as a test, once as a library), and moving or renaming a test file
breaks unrelated tests. Shared builders live in tests/builders.py, doubles in tests/fakes.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in *path*; a relative import keeps its dots."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.append((node.lineno, base))
            if node.module is None:  # `from . import test_x`
                found += [(node.lineno, f"{base}{alias.name}") for alias in node.names]
    return found


def is_test_module(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def test_no_test_module_imports_another() -> None:
    """Every `from tests.test_x import …` (or relative, or conftest) is a helper in the wrong
    place: move it to tests/builders.py or tests/fakes.py."""
    offenders = [
        f"{path.relative_to(TESTS)}:{line}: {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, module in imported_modules(path)
        if is_test_module(module)
    ]
    assert offenders == []


def test_the_import_check_sees_every_spelling(tmp_path: Path) -> None:
    """The check above catches absolute, relative, package-relative and conftest imports."""
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "from tests.test_history import T0\n"
        "from .test_records import example\n"
        "from . import test_session\n"
        "import tests.journal.test_store\n"
        "from tests.conftest import REPO\n"
        "from tests.builders import T0\n"
    )
    flagged = [module for _, module in imported_modules(sample) if is_test_module(module)]
    assert flagged == [
        "tests.test_history",
        ".test_records",
        ".test_session",
        "tests.journal.test_store",
        "tests.conftest",
    ]


def test_pseudo_terminals_start_through_the_helper() -> None:
    """Only tests/terminal.py calls pexpect.spawn: its `spawn` resets Ctrl-C in the child, so
    the pty tests pass even when pytest runs as a background job with SIGINT ignored."""
    offenders = [
        f"{path.relative_to(TESTS)}:{node.lineno}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "terminal.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "pexpect.spawn"
    ]
    assert offenders == []


def test_hypothesis_profile_comes_from_the_environment() -> None:
    """HYPOTHESIS_PROFILE picks the profile conftest registered (`dev` when unset); `ci` runs
    the same examples every time, with no deadline."""
    import os

    from hypothesis import settings

    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.deadline is None
    assert not settings.get_profile("dev").derandomize
    chosen = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
    assert settings.default.derandomize == chosen.derandomize
    assert settings.default.deadline == chosen.deadline


def test_no_test_finds_files_from_its_own_place() -> None:
    """Paths come from tests.builders.REPO, not from `__file__`, so that a test module can
    move between folders without its files moving away from it."""
    offenders = [
        f"{path.relative_to(TESTS)}"
        for path in sorted(TESTS.rglob("test_*.py"))
        if path.name != "test_suite_layout.py" and "__file__" in path.read_text()
    ]
    assert offenders == []


# Top-level test modules that are about the project or the suite, not one base module.
ABOUT_THE_SUITE = {
    "test_docs.py",
    "test_suite_layout.py",
    "test_builders.py",
    "test_data_structure.py",
    "test_import_graph.py",
}


def test_test_folders_mirror_the_package() -> None:
    """tests/<folder>/ tests iastm_coach/<folder>/ (tests/e2e drives the installed program);
    a test module at the top tests a base module of the same name, e.g. test_clock.py."""
    package = TESTS.parent / "iastm_coach"
    misplaced = []
    for path in sorted(TESTS.rglob("test_*.py")):
        folder = path.parent.relative_to(TESTS)
        if path.parent == TESTS:
            base = package / path.name.removeprefix("test_")
            if path.name not in ABOUT_THE_SUITE and not base.is_file():
                misplaced.append(str(path.relative_to(TESTS)))
        elif folder != Path("e2e") and not (package / folder / "__init__.py").is_file():
            misplaced.append(str(path.relative_to(TESTS)))
    assert misplaced == []
