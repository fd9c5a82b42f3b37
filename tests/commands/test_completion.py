"""Shell completion through Typer's own machinery, for commands, regions and topics.

Typer (with its vendored Click) answers completion requests when the program
runs with `_IASTM_COACH_COMPLETE` set (the program name, upper-cased, `-` as
`_`): `complete_bash` reads `COMP_WORDS` and `COMP_CWORD`; `complete_zsh` and
`complete_fish` read `_TYPER_COMPLETE_ARGS`. These tests run the installed
program the way the shell scripts from `--show-completion` do, and the same
requests in-process through CliRunner.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app

COMPLETE_VAR = "_IASTM_COACH_COMPLETE"
runner = CliRunner()


def installed_program() -> str:
    script = Path(sys.executable).parent / "iastm-coach"
    found = str(script) if script.exists() else shutil.which("iastm-coach")
    if found is None:
        pytest.skip("the iastm-coach script is not installed in this environment")
    return found


def bash_complete(words: str, *, program: str | None = None) -> list[str]:
    """What bash completion offers for the last word of *words* (a partial command line)."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {
        **os.environ,
        COMPLETE_VAR: "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    done = subprocess.run(
        [program or installed_program()],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("iastm-coach se", "session"),
        ("iastm-coach to", "today"),
        ("iastm-coach le", "learn"),
        ("iastm-coach mea", "measure"),
        ("iastm-coach pro", "protocol"),
    ],
)
def test_command_names_complete(words: str, expected: str) -> None:
    """A command name is completed from its first letters."""
    assert expected in bash_complete(words)


def test_all_commands_are_offered_for_an_empty_word() -> None:
    """With nothing typed, every top-level command is offered."""
    offered = bash_complete("iastm-coach ")
    assert {"session", "today", "learn", "measure", "protocol"} <= set(offered)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("iastm-coach session cal", "calf"),
        ("iastm-coach session ham", "hamstrings"),
        ("iastm-coach measure post", "posterior-shoulder"),
        ("iastm-coach protocol show ach", "achilles"),
    ],
)
def test_region_names_complete(words: str, expected: str) -> None:
    """Region arguments complete to region names (aliases too)."""
    offered = bash_complete(words)
    assert expected in offered
    prefix = words.rsplit(" ", 1)[1]
    assert all(name.startswith(prefix) for name in offered)


def test_learn_topics_complete() -> None:
    """`learn ev` completes to the evidence page."""
    assert bash_complete("iastm-coach learn ev") == ["evidence"]


def test_zsh_completion_offers_regions() -> None:
    """The zsh protocol (`_TYPER_COMPLETE_ARGS`) gives the same regions."""
    env = {
        **os.environ,
        COMPLETE_VAR: "complete_zsh",
        "_TYPER_COMPLETE_ARGS": "iastm-coach session cal",
    }
    done = subprocess.run(
        [installed_program()], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert '"calf"' in done.stdout


def test_completion_in_process() -> None:
    """The same request through CliRunner (no installed script needed)."""
    result = runner.invoke(
        app,
        [],
        prog_name="iastm-coach",
        env={
            COMPLETE_VAR: "complete_bash",
            "COMP_WORDS": "iastm-coach measure cal",
            "COMP_CWORD": "2",
        },
    )
    assert result.exit_code == 0
    assert "calf" in result.stdout.split()


def test_show_completion_script_names_the_variable() -> None:
    """`--show-completion bash` prints a script that uses the same variable."""
    result = runner.invoke(app, ["--show-completion", "bash"], prog_name="iastm-coach")
    assert result.exit_code == 0, result.output
    assert f"{COMPLETE_VAR}=complete_bash" in result.stdout
