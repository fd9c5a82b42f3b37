"""The learn pages on screen: the list of topics, and one page as Markdown or as written."""

from __future__ import annotations

from collections.abc import Sequence

from iastm_coach.views.ui import get_console, literal, plain_requested


def show_topics(topics: Sequence[tuple[str, str]]) -> None:
    """(name, title) pairs, in reading order."""
    width = max(len(name) for name, _ in topics)
    console = get_console()
    console.print("Topics (read one with `iastm-coach learn TOPIC`):", markup=False)
    for name, title in topics:
        console.print(literal(f"  {name.ljust(width)}   {title}"))


def show_page(text: str) -> None:
    """Rendered Markdown on a colour terminal; in plain mode the text as written (screen
    readers, grep)."""
    console = get_console()
    if plain_requested():
        console.print(literal(text.rstrip("\n")), soft_wrap=True)
        return
    from rich.markdown import Markdown

    # Our own shipped pages (trusted), so Markdown rendering is fine here.
    console.print(Markdown(text))
