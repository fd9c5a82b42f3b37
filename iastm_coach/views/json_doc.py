"""The one way JSON leaves the program: one indent style, a version field, no raw controls.

Every `--json` document is an object whose first field is `<name>_version` (see the
README's table); a script checks that number before it reads anything else.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

INDENT = 2
# JSON leaves C1 controls (U+0080-U+009F, which include a one-byte CSI) and invisible
# direction marks as they are; escaping them keeps the data and keeps them off a terminal.
_RAW = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


class MissingVersion(ValueError):
    """A JSON document without its `*_version` field: a programming error."""


def version_field(document: Mapping[str, Any]) -> str:
    fields = [key for key in document if key.endswith("_version")]
    if not fields:
        raise MissingVersion(f"JSON document without a *_version field: {sorted(document)}")
    return fields[0]


def versioned(name: str, version: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """`{"<name>_version": version, **body}`: the version first, for documents built here."""
    return {f"{name}_version": version, **body}


def json_text(document: Mapping[str, Any]) -> str:
    """The document as text: indented by 2, UTF-8 kept readable, controls escaped."""
    version_field(document)
    text = json.dumps(document, ensure_ascii=False, indent=INDENT, default=str)
    return _RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"


def emit_json(document: Mapping[str, Any]) -> None:
    """Print one JSON document to standard output."""
    sys.stdout.write(json_text(document))
    sys.stdout.flush()
