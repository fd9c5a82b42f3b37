"""The one way JSON leaves the program: one indent style, a version field, no raw controls.

Every `--json` document is an object whose first field is `<name>_version` (see the
README's table); a script checks that number before it reads anything else.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
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
    return _RAW.sub(_escape, text) + "\n"


def json_chunks(head: Mapping[str, Any], key: str, items: Iterable[Any]) -> Iterator[str]:
    """`json_text({**head, key: list(items)})` in pieces, one item at a time, so a long
    list (every session of ten years) streams instead of being built in memory first."""
    whole = json_text({**head, key: []})
    opening, closing = whole.rsplit("[]", 1)  # *key* is the last field: "...": []\n}\n
    started = False
    for item in items:
        body = json.dumps(item, ensure_ascii=False, indent=INDENT, default=str)
        lines = "\n".join(" " * (2 * INDENT) + line for line in body.split("\n"))
        yield _RAW.sub(_escape, (",\n" if started else opening + "[\n") + lines)
        started = True
    yield f"\n{' ' * INDENT}]{closing}" if started else whole


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def emit_json(document: Mapping[str, Any]) -> None:
    """Print one JSON document to standard output."""
    sys.stdout.write(json_text(document))
    sys.stdout.flush()
