"""Education pages: short Markdown files shipped in `data/learn/`.

A topic is a file's stem (`evidence` for `evidence.md`); its title is the
file's first line without the leading `#`. The pages are ours (shipped with
the program), so they may be rendered as Markdown.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from iastm_coach.errors import DataFileError, UsageError
from iastm_coach.paths import data_dir

READING_ORDER: Final = (
    "what-is-iastm",
    "normal-vs-warning",
    "soreness-scale",
    "why-exercises",
    "evidence",
    "choosing-a-tool",
    "pressure",
    "hygiene",
    "partner",
)
"""Topics in the order a new user should read them; any others follow by name."""


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    path: Path

    def text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise DataFileError(
                f"{self.path}: the page cannot be read ({error})",
                hint="Reinstall iastm-coach to restore its data files.",
            ) from None


def learn_dir() -> Path:
    return data_dir() / "learn"


def title_of(text: str, fallback: str) -> str:
    """The first non-empty line without its Markdown heading marks."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped:
            return stripped.lstrip("#").strip() or fallback
    return fallback


def _order(name: str) -> tuple[int, str]:
    rank = READING_ORDER.index(name) if name in READING_ORDER else len(READING_ORDER)
    return rank, name


def topic_names() -> list[str]:
    """Topic names in reading order (no file is read: cheap enough for shell completion)."""
    directory = learn_dir()
    if not directory.is_dir():
        return []
    return sorted((path.stem for path in directory.glob("*.md")), key=_order)


def list_topics() -> list[Topic]:
    """Every topic with its title, in reading order."""
    topics = []
    for name in topic_names():
        path = learn_dir() / f"{name}.md"
        topics.append(Topic(name, title_of(Topic(name, name, path).text(), name), path))
    if not topics:
        raise DataFileError(
            f"{learn_dir()}: no learn pages found",
            hint="Reinstall iastm-coach to restore its data files.",
        )
    return topics


def find_topic(name: str) -> Topic:
    """The topic called *name* (case and `.md` forgiven); UsageError with a suggestion otherwise."""
    key = name.strip().lower().removesuffix(".md").replace("_", "-").replace(" ", "-")
    names = topic_names()
    if key in names:
        path = learn_dir() / f"{key}.md"
        return Topic(key, title_of(Topic(key, key, path).text(), key), path)
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
    prefix = [n for n in names if key and n.startswith(key)]
    suggestion = close[0] if close else (prefix[0] if len(prefix) == 1 else None)
    hint = f"Did you mean '{suggestion}'? " if suggestion else ""
    raise UsageError(
        f"unknown topic '{name}'",
        hint=f"{hint}Topics: {', '.join(names)}. `iastm-coach learn` lists them with titles.",
    )


def complete_topic(incomplete: str) -> list[str]:
    """Shell completion for topic names."""
    return [name for name in topic_names() if name.startswith(incomplete)]
