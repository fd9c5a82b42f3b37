"""The README and CI stay true: the same test command, every command documented."""

from __future__ import annotations

import re

import pytest
import typer

from iastm_coach.cli import COMMANDS, app, load_command
from tests.builders import REPO

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


def registered_commands() -> list[str]:
    group = typer.main.get_group(app)
    names = []
    for name in group.list_commands(None):  # type: ignore[arg-type]
        command = group.get_command(None, name)  # type: ignore[arg-type]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names += [f"{name} {sub}" for sub in subcommands]
        else:
            names.append(name)
    return names


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
