"""The patient's own name, given at first use, to notice a protocol meant for someone else.

Kept in `$IASTM_COACH_HOME/settings.toml` as `patient_name`: it is a setting of this
installation, not an event, so it is not in the journal. The first protocol file
that names a patient asks "Is that you?"; the answer yes stores that name.
"""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path
from typing import Any

from iastm_coach.errors import DataFileError
from iastm_coach.paths import ensure_private_dir, user_dir, write_private_file

MAX_SETTINGS_BYTES = 16 * 1024


def settings_path() -> Path:
    return user_dir() / "settings.toml"


def _read_settings() -> dict[str, Any]:
    path = settings_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise DataFileError(f"{path}: cannot be read ({error.strerror})") from None
    if len(raw) > MAX_SETTINGS_BYTES:
        raise DataFileError(f"{path} is too large for a settings file (at most 16 KiB)")
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise DataFileError(
            f"{path}: the settings file is damaged ({error})",
            hint="Fix it in a text editor, or delete it: you will be asked your name again.",
        ) from None


def first_use_name() -> str | None:
    name = _read_settings().get("patient_name")
    return name if isinstance(name, str) and name.strip() else None


def remember_name(name: str) -> None:
    import tomli_w

    settings = _read_settings()
    settings["patient_name"] = name
    ensure_private_dir(settings_path().parent)
    write_private_file(settings_path(), tomli_w.dumps(settings), overwrite=True)


def normalised(name: str) -> str:
    """Names compare without case, accents, dots or extra spaces: "anna b." is "Anna B"."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace(".", " ").replace(",", " ").casefold().split())


def same_person(first: str, second: str) -> bool:
    return normalised(first) == normalised(second)
