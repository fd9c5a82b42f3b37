"""What commands get from outside, in one place: the clock, the data directory, standard
input and the consoles.

No command constructs any of these itself; each asks `app_context(ctx.obj)`. Tests
pass their own: `CliRunner.invoke(app, [...], obj=AppContext(clock=FakeClock(...)))`.
Only the stdlib and base modules are imported here (start-up time matters).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from iastm_coach.clock import Clock, SystemClock
from iastm_coach.paths import installed_protocols_dir, journal_dir, user_dir

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal
    from iastm_coach.session.conversation import Conversation


@dataclass(frozen=True)
class AppContext:
    """The outside world of one command run."""

    clock: Clock = field(default_factory=SystemClock)
    home: Path = field(default_factory=user_dir)  # `$IASTM_COACH_HOME` or the platform's
    # None: the process's own standard input and consoles, looked up when used (so
    # CliRunner's are seen); the consoles of `views.ui` follow --plain and NO_COLOR.
    stdin: IO[str] | None = None
    stdout: Any = None  # a rich Console (views/ui.py), or None
    stderr: Any = None

    @property
    def input(self) -> IO[str]:
        """Standard input: answers, typed or piped."""
        return self.stdin if self.stdin is not None else sys.stdin

    @property
    def journal_dir(self) -> Path:
        return journal_dir(self.home)

    @property
    def protocols_dir(self) -> Path:
        """Where protocols from a physio are installed."""
        return installed_protocols_dir(self.home)

    def journal(self) -> Journal:
        from iastm_coach.journal.store import Journal

        return Journal(self.journal_dir)

    def console(self) -> Any:
        """Standard output, for screens."""
        if self.stdout is not None:
            return self.stdout
        from iastm_coach.views.ui import get_console  # lazily: Rich is slow to import

        return get_console()

    def plain_console(self) -> Any:
        """Standard output without colour or cursor movement (`--plain`, pipes)."""
        if self.stdout is not None:
            return self.stdout
        from iastm_coach.views.ui import get_plain_console

        return get_plain_console()

    def write(self, text: str) -> None:
        """Text exactly as given on standard output (a report, JSON): no wrapping, no
        markup, and no Rich to import."""
        stream = self.stdout.file if self.stdout is not None else sys.stdout
        stream.write(text)
        stream.flush()

    def error_console(self) -> Any:
        if self.stderr is not None:
            return self.stderr
        from iastm_coach.views.ui import get_error_console

        return get_error_console()

    def talk(self, *, plain: bool = False) -> Conversation:
        """Questions on standard output, answers read a line at a time from standard input
        (a terminal or a pipe)."""
        from iastm_coach.views.conversation import LineConversation

        return LineConversation(self.plain_console() if plain else self.console(), self.input)


def app_context(obj: Any) -> AppContext:
    """The injected context, or the real one (made once per run)."""
    return obj if isinstance(obj, AppContext) else AppContext()
