"""The one TOML parser of the journal: every month file is read through `loads`.

toml-rs (Rust, in its TOML 1.0 mode) when it is installed: on month files it is
several times faster than the standard library's tomllib (6x to 20x measured; see
README, "The journal") and gives identical values, types included (offsets as
`datetime.timezone`, the key order of every table). Otherwise, or when
`IASTM_COACH_TOML=tomllib` is set (tests, or to rule the fast parser out), tomllib.

A document toml-rs refuses is parsed again by tomllib, so every error a person sees
(its message and line) is tomllib's, with the fast parser or without it; and a document
only tomllib accepts is still read. The modules are imported on the first parse, not at
start-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Final

__all__ = ["TOMLDecodeError", "loads", "parser_name"]


class TOMLDecodeError(ValueError):
    """A document that is not TOML, with tomllib's message (its line and column). Our own
    class, so that reading a warm journal need not import tomllib at all."""


FALLBACK_SWITCH: Final = "IASTM_COACH_TOML"  # "tomllib": never use the fast parser

Loads = Callable[[str], dict[str, Any]]
_fast: Loads | None = None
_looked = False


def _fast_parser() -> Loads | None:
    global _fast, _looked
    if os.environ.get(FALLBACK_SWITCH) == "tomllib":
        return None
    if not _looked:
        _looked = True
        try:
            import toml_rs
        except ImportError:
            return None

        def fast(text: str) -> dict[str, Any]:
            # TOML 1.0, the version tomllib reads: both accept the same documents.
            document: dict[str, Any] = toml_rs.loads(text, toml_version="1.0.0")
            return document

        _fast = fast
    return _fast


def loads(text: str) -> dict[str, Any]:
    """The TOML document *text*; `TOMLDecodeError` (tomllib's message) when it is not
    valid TOML."""
    fast = _fast_parser()
    if fast is not None:
        try:
            return fast(text)
        except Exception:  # whatever it raises, tomllib has the last word
            pass
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TOMLDecodeError(str(error)) from None


def parser_name() -> str:
    """'toml-rs 0.4.3' or 'tomllib': which parser `loads` uses now."""
    if _fast_parser() is None:
        return "tomllib"
    from importlib.metadata import version  # slow to import: only when asked

    return f"toml-rs {version('toml-rs')}"
