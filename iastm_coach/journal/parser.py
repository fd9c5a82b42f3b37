"""The one TOML parser of the journal: every month file is read through `loads`."""

from __future__ import annotations

from tomllib import TOMLDecodeError, loads

__all__ = ["TOMLDecodeError", "loads"]
