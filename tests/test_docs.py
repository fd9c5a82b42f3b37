"""The README and CI stay true: the same test command, every command documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from iastm_coach.cli import COMMANDS, app, load_command
from tests.builders import REPO
from tests.cli import registered_commands

README = (REPO / "README.md").read_text()


def readme_commands() -> list[str]:
    """The shell commands in the README's 'Set up' section, in order."""
    section = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n\s*(.+?)\n\s*```", section)


def test_readme_has_exactly_two_setup_commands() -> None:
    """One to install and run a calf session, one to install and run the tests."""
    install, tests = readme_commands()
    assert install.endswith("iastm-coach session calf")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    """.ci/run must run the README's own test command, not a variant."""
    assert readme_commands()[1] in (REPO / ".ci" / "run").read_text().splitlines()


@pytest.mark.parametrize("command", registered_commands())
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    """Each command says what it does in --help and appears in the README."""
    group = typer.main.get_group(app)
    parts = command.split()
    target = group.get_command(None, parts[0])  # type: ignore[arg-type]
    if len(parts) > 1:
        target = target.commands[parts[1]]  # type: ignore[union-attr]
    assert target is not None
    assert (target.help or "").strip(), f"{command} has no help text"
    assert f"iastm-coach {command}" in README or f"`{command}" in README, command


@pytest.mark.parametrize("name", list(COMMANDS))
def test_lazy_summaries_match_the_commands(name: str) -> None:
    """`iastm-coach --help` lists summaries from a table (no imports); they must say
    what each command's own help says."""
    command = load_command(name)
    assert COMMANDS[name].summary == command.get_short_help_str(limit=1000)


def test_help_and_version_import_no_command_module() -> None:
    """Start-up stays fast: --help and --version load no command module, pydantic or rich."""
    import subprocess
    import sys

    for flag in ("--help", "--version"):
        probe = (
            "import sys; from iastm_coach.cli import main; sys.argv = ['iastm-coach', "
            f"'{flag}']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in sys.modules if m.startswith(('pydantic', 'rich', "
            "'iastm_coach.commands.'))]\nprint('HEAVY', heavy)"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        assert "HEAVY []" in result.stdout, result.stdout[-300:]


def readme_block(after: str) -> str:
    """The ```text block that follows *after* in the README."""
    return README.split(after, 1)[1].split("```text\n", 1)[1].split("```", 1)[0]


def test_the_readme_timer_capture_shows_the_built_in_calf_times() -> None:
    """The captured timer shows the calf's first area and one side's total as the built-in
    protocol has them (it showed 1:00 and 3:00 after the areas had become 45 s + 45 s + 30 s)."""
    from iastm_coach.protocols.library import load_builtin

    calf = load_builtin("calf").protocol
    capture = readme_block("the real program with tmux):")
    area, total = re.findall(r"left of (\d+):(\d\d)", capture)
    assert int(area[0]) * 60 + int(area[1]) == calf.area[0].duration_s
    assert int(total[0]) * 60 + int(total[1]) == sum(a.duration_s for a in calf.area)


def test_the_readme_today_capture_is_what_the_program_says(isolated_home: Path) -> None:
    """`iastm-coach` the day after a left calf session that ended Mon 2 Mar 18:30 UTC."""
    from datetime import UTC, datetime

    from tests.cli import run

    logged = datetime(2026, 3, 2, 18, 36, tzinfo=UTC)
    if logged.astimezone().utcoffset():
        pytest.skip("the capture was made in UTC; elsewhere its times carry a zone label")
    assert run("log", "calf", "--side", "left", "--soreness", "2", "--minutes", "2",
               "--when", "2026-03-02T18:28+00:00", at=logged)[0] == 0  # fmt: skip
    code, out, _ = run("--plain", at=datetime(2026, 3, 3, 19, 0, tzinfo=UTC))
    assert code == 0
    assert out.strip() == readme_block("And the next day, `iastm-coach` on its own:").strip()
