"""Plain option values without pydantic: start-up time for every command.

Typer (0.29) turns each command-line value into its Python type through a
pydantic TypeAdapter, built when the command runs, for every parameter but a
boolean flag, even one left at its default. Importing pydantic and building
the adapters costs more than Typer's own import, on every run of every
command. The parameters here are plain: text, yes/no, whole numbers, numbers, dates
in given formats, a choice from an Enum, a path. `lighten` gives each of those
a converter that does the same without pydantic (same results, same error
wording; on purpose, a decimal comma is read and "0-1" is refused, which pydantic-core
reads as -1); anything else (ranges, custom parsers, lists, checked paths) is left
to Typer. Should Typer's internals change, nothing is replaced and Typer does
what it always did.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Final

try:  # Typer's own seam for converting a value (private: checked before use)
    from typer._coercion import RuntimeParam
    from typer._param_types import coerce_cli_choice
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover - another Typer: leave conversion to it
    RuntimeParam = None  # type: ignore[assignment,misc]

from typer import BadParameter

from iastm_coach.vocabulary import typed_number


def to_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode(sys.getfilesystemencoding(), "replace")
    return str(value)


TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})  # as pydantic reads a bool
FALSE = frozenset({"", "0", "off", "f", "false", "n", "no"})


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = to_text(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ValueError("Input should be a valid boolean, unable to interpret input")


# What pydantic trims around a number: Unicode White_Space. Python's str.strip() also takes
# the separators U+001C-U+001F, which pydantic refuses.
WHITE_SPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def trimmed(value: Any) -> str:
    """*value* as text without the white space pydantic trims; ValueError when what is left
    still starts or ends with a character Python calls space (the separators), or is not
    ASCII."""
    text = str(value).strip(WHITE_SPACE)
    if text != text.strip():
        raise ValueError("a separator character around the number")
    if not text.isascii():  # Python reads '௩' as 3; pydantic reads ASCII digits only
        raise ValueError("not an ASCII number")
    return text


def to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        text = trimmed(value)
    except ValueError:
        text = "not a number"
    if (whole := re.fullmatch(r"([+-]?\d[\d_]*)\.0+", text)) is not None:
        text = whole[1]  # as pydantic reads "3.0": a whole number written with zeros after
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            "Input should be a valid integer, unable to parse string as an integer"
        ) from None


def to_float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return typed_number(trimmed(value))  # a decimal comma too, as at the prompts
    except ValueError:
        raise ValueError(
            "Input should be a valid number, unable to parse string as a number"
        ) from None


if RuntimeParam is not None:

    class PlainParam(RuntimeParam):
        """A value converted by a plain function; ValueError becomes Typer's BadParameter."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return convert(self.annotation, self.parameter_info, value, ctx)
            except ValueError as error:
                raise BadParameter(str(error), ctx=ctx, param=param) from None


def convert(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    if annotation is str:
        return to_text(value)
    if annotation is bool:
        return to_bool(value)
    if annotation is int:
        return to_int(value)
    if annotation is float:
        return to_float(value)
    if annotation is datetime:
        if isinstance(value, datetime):
            return value
        formats = info.formats
        for pattern in formats:
            try:
                return datetime.strptime(to_text(value), pattern)
            except ValueError:
                continue
        shown = ", ".join(map(repr, formats))
        raise ValueError(f"Value error, {to_text(value)!r} does not match the formats {shown}.")
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError as error:
            raise ValueError(f"Value error, {error}") from None
    assert annotation is Path
    if isinstance(value, Path):
        return value
    text = to_text(value)
    if "\x00" in text:
        raise ValueError("Input is not a valid path")
    return Path(text)


def plain(annotation: Any, info: Any) -> bool:
    """Whether a parameter of *annotation* with *info* (Typer's ParameterInfo) is one of
    the plain kinds `convert` handles exactly as Typer would."""
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None):
        return False
    if annotation in (int, float):
        return info.min is None and info.max is None and not info.clamp
    if annotation in (str, bool):
        return True
    if annotation is datetime:
        return bool(info.formats)  # without formats pydantic reads many more forms
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return True
    if annotation is Path:
        return not (
            info.exists or info.resolve_path or info.allow_dash or info.path_type is not None
        )
    return False


def lighten(command: Any, *, recurse: bool = True) -> None:
    """Give the plain parameters of *command* (and, with *recurse*, of its loaded
    sub-commands) a converter that needs no pydantic; its --help option too, which
    is made when the command line is parsed."""
    if RuntimeParam is None:
        return
    for param in getattr(command, "params", []):
        try:
            lighten_param(param)
        except (AttributeError, TypeError):  # Typer's internals moved: leave it to Typer
            continue
    make_help = getattr(command, "get_help_option", None)
    if make_help is not None and not getattr(command, "_lightened", False):

        def get_help_option(ctx: Any) -> Any:
            option = make_help(ctx)
            if option is not None:
                lighten_param(option)
            return option

        command.get_help_option = get_help_option
        command._lightened = True
    if recurse:
        for sub in getattr(command, "commands", {}).values():
            lighten(sub)


def lighten_param(param: Any) -> None:
    if not isinstance(param, _TyperParameter) or param._runtime_param is not None:
        return
    descriptor = param.type_descriptor
    if descriptor.file_annotation is None and plain(
        descriptor.annotation, descriptor.parameter_info
    ):
        param._runtime_param = PlainParam(
            parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
        )
