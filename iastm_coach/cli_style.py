"""How every command looks and speaks, whatever its module declares: one plain help
style, completion options on the root only, `REGION`/`N`/`YYYY-MM-DD` metavars,
`--plain` on every command, and our own words for a value an option does not take.

Only typer and the stdlib are imported here (start-up time matters); Typer's private
modules are not used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

import typer

COMPLETION_OPTIONS = ("install_completion", "show_completion")  # the root command's only
PLAIN_HELP = "No colour, no boxes and no live screen (as NO_COLOR does)."


def uniform(command: Any) -> None:
    """One style for a command and its sub-commands: plain help like the root's (no boxes),
    completion options only on the root, `REGION` metavars, and `--plain` everywhere."""
    command.rich_markup_mode = None
    command.context_class = CoachContext
    command.params = [p for p in command.params if p.name not in COMPLETION_OPTIONS]
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False):
            param.metavar = metavar_for(param)
    subcommands = getattr(command, "commands", None)
    if subcommands is not None:
        for subcommand in subcommands.values():
            uniform(subcommand)
        return
    plain = next((p for p in command.params if p.name == "plain"), None)
    if plain is None:
        plain = plain_option()
        command.params.append(plain)
    # A command's own --plain (session) means the same as everywhere: plain output.
    if plain.callback is None:
        plain.callback = set_plain


def metavar_for(param: Any) -> str:
    """REGION for an argument; for an option what it takes: N, YYYY-MM-DD, FILE, a|b|c."""
    if param.param_type_name == "argument":
        return str(param.name).upper()
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    if getattr(descriptor, "is_choice", False):
        return "|".join(str(getattr(c, "value", c)) for c in descriptor.choices or ())  # type: ignore[union-attr]
    if getattr(descriptor, "is_datetime", False):
        return "YYYY-MM-DD"
    if annotation is int:
        return "N"
    if annotation is float:
        return "NUMBER"
    if getattr(descriptor, "is_path", False):
        return "FILE"
    return str(param.opts[0]).lstrip("-").upper()


def set_plain(ctx: Any, param: Any, value: bool) -> bool:
    if value:
        from iastm_coach.views import ui

        ui.set_plain(True)
    return value


def plain_option() -> Any:
    """A `--plain` flag that only switches plain output on (the command never sees it)."""
    probe = typer.Typer(add_completion=False)

    @probe.command()
    def probe_command(
        plain: Annotated[bool, typer.Option("--plain", help=PLAIN_HELP)] = False,
    ) -> None:
        """Only here to build the option."""

    option = typer.main.get_command(probe).params[0]
    option.expose_value = False
    return option


def short_help(text: str, limit: int) -> str:
    """Up to the first full stop, or cut at a word with "..." to fit `limit` characters."""
    words = text.split()
    shown = ""
    for word in words:
        candidate = f"{shown} {word}".lstrip()
        if len(candidate) > limit:
            break
        shown = candidate
        if word.endswith("."):
            return shown
    else:
        return shown
    while shown and len(shown) + 3 > limit:
        shown = shown.rsplit(" ", 1)[0] if " " in shown else ""
    return shown + "..."


BRACED = re.compile(r"\{([^{}\s]+)\}")


HelpFormatter: Any = typer.Context.formatter_class  # Click's, through Typer's public Context


TYPE_LABEL = re.compile(r" <[^<>]*>$")  # Typer's " <str>", " <list[Path]>" after a name


class CoachFormatter(HelpFormatter):  # type: ignore[misc]
    """Help as people expect it: `REGION` in usage lines, not Typer's `{REGION}`, and
    arguments listed by name without Python's type names."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, BRACED.sub(r"\1", args), prefix)

    def write_dl(self, rows: Any, *args: Any, **kwargs: Any) -> None:
        super().write_dl([(TYPE_LABEL.sub("", term), text) for term, text in rows], *args, **kwargs)


class CoachContext(typer.Context):
    formatter_class = CoachFormatter


class BadValue(typer.BadParameter):
    """A value an option does not accept, in our words (Click's frame, exit 2)."""

    def format_message(self) -> str:
        return self.message


def reworded(error: typer.BadParameter, typed: Sequence[str] = ()) -> BadValue:
    """'--side must be one of: left, right, both (got 'up').' instead of the library's
    "Invalid value for '--side': Value error, ..."."""
    param = error.param
    if param is None:
        return BadValue(error.format_message(), ctx=error.ctx)
    name = param.opts[0] if param.param_type_name == "option" else param.metavar or param.name
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    if getattr(descriptor, "is_choice", False):
        choices = [str(getattr(c, "value", c)) for c in descriptor.choices or ()]  # type: ignore[union-attr]
        wanted = f"one of: {', '.join(choices)}"
    elif getattr(descriptor, "is_datetime", False):
        formats = getattr(descriptor.parameter_info, "formats", None) or ["%Y-%m-%d"]  # type: ignore[union-attr]
        shown = [f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for f in formats]
        wanted = f"a date written {' or '.join(shown)}"
    elif annotation is int:
        wanted = "a whole number"
    elif annotation is float:
        wanted = "a number"
    else:
        return BadValue(f"{name}: {error.message}", ctx=error.ctx, param=param)
    given = given_value(error, param.opts, typed)
    got = "" if given is None else f" (got {given!r})"
    return BadValue(f"{name} must be {wanted}{got}", ctx=error.ctx, param=param)


def given_value(error: BaseException, opts: Sequence[str], typed: Sequence[str]) -> object:
    """The value that was refused: as the validator reports it (pydantic), else what
    followed the option on the command line (`--last many`, `--last=many`)."""
    errors = getattr(error.__cause__, "errors", None)
    if callable(errors):
        try:
            return errors()[0].get("input")
        except (IndexError, TypeError, AttributeError):
            pass
    for index, word in enumerate(typed):
        for opt in opts:
            if word == opt and index + 1 < len(typed) and opt.startswith("-"):
                return typed[index + 1]
            if word.startswith(f"{opt}="):
                return word.split("=", 1)[1]
    return None
