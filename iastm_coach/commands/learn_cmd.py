"""`iastm-coach learn [TOPIC]`: short, plain-language pages about IASTM."""

from __future__ import annotations

from typing import Annotated

import typer


def complete_topic(incomplete: str) -> list[str]:
    """Shell completion for topic names."""
    from iastm_coach.learn import complete_topic as complete

    return complete(incomplete)


def cmd_learn(
    ctx: typer.Context,
    topic: Annotated[
        str | None,
        typer.Argument(
            help="A topic, e.g. evidence; leave out to list them.", autocompletion=complete_topic
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="As JSON: a list of {topic, title}, or one {topic, title, text}."
        ),
    ] = False,
    plain: Annotated[
        bool, typer.Option("--plain", help="Print the page's Markdown text as it is.")
    ] = False,
) -> None:
    """Read short pages: what IASTM is, what is normal afterwards, the evidence and its limits.

    Without TOPIC, list the topics; `what-is-iastm` is the place to start.
    """
    import json

    from iastm_coach.context import app_context
    from iastm_coach.learn import find_topic, list_topics

    app = app_context(ctx.obj)

    if topic is None:
        topics = list_topics()
        if json_output:
            payload = [{"topic": t.name, "title": t.title} for t in topics]
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        from iastm_coach.views.ui import literal

        width = max(len(item.name) for item in topics)
        console = app.console()
        console.print("Topics (read one with `iastm-coach learn TOPIC`):", markup=False)
        for item in topics:
            console.print(literal(f"  {item.name.ljust(width)}   {item.title}"))
        return

    page = find_topic(topic)
    text = page.text()
    if json_output:
        payload_one = {"topic": page.name, "title": page.title, "text": text}
        typer.echo(json.dumps(payload_one, ensure_ascii=False, indent=2))
        return
    from iastm_coach.views.ui import plain_requested

    if plain or plain_requested():
        typer.echo(text.rstrip("\n"))
        return
    from rich.markdown import Markdown

    # Our own shipped pages (trusted), so Markdown rendering is fine here.
    app.console().print(Markdown(text))
