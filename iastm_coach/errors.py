"""Errors meant for people, each carrying the exit code documented in the README."""

from __future__ import annotations

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_SAFETY = 3
EXIT_DATA = 4
EXIT_INTERRUPTED = 130


class CoachError(Exception):
    """Base class: a problem we can explain in plain words (never a traceback)."""

    exit_code = EXIT_BUG

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CoachError):
    """Unknown region, bad option value: the command line itself is wrong."""

    exit_code = EXIT_USAGE


class SafetyStop(CoachError):
    """The checklist, a red-flag hold or the rest period says: not today."""

    exit_code = EXIT_SAFETY


class DataFileError(CoachError):
    """A protocol file, journal or settings file is invalid or damaged.

    `problems` holds every problem found, one line each, so people can fix a
    file in one go instead of one error per run.
    """

    exit_code = EXIT_DATA

    def __init__(
        self, message: str, *, problems: list[str] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class Interrupted(CoachError):
    """The user stopped on purpose (Ctrl-C or `q`); what was done is kept."""

    exit_code = EXIT_INTERRUPTED
