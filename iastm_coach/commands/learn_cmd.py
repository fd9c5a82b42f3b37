"""`iastm-coach learn [TOPIC]`: short, plain-language pages about IASTM."""

from __future__ import annotations

from typing import Annotated

import typer

LEARN_JSON_VERSION = 1  # {learn_version, topics} or {learn_version, topic, title, text}


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
            "--json", help="As JSON: {topics: [{topic, title}]}, or one {topic, title, text}."
        ),
    ] = False,
) -> None:
    """Read short pages: what IASTM is, what is normal afterwards, the evidence and its limits.

    Without TOPIC, list the topics; `what-is-iastm` is the place to start. With --plain
    (or NO_COLOR) a page is printed as written, in Markdown.
    """

    from iastm_coach.learn import find_topic, list_topics
    from iastm_coach.views.json_doc import emit_json, versioned

    if topic is None:
        topics = list_topics()
        if json_output:
            topic_list = [{"topic": t.name, "title": t.title} for t in topics]
            emit_json(versioned("learn", LEARN_JSON_VERSION, {"topics": topic_list}))
            return
        from iastm_coach.views.learn import show_topics

        show_topics([(item.name, item.title) for item in topics])
        return

    page = find_topic(topic)
    text = page.text()
    if json_output:
        page_fields = {"topic": page.name, "title": page.title, "text": text}
        emit_json(versioned("learn", LEARN_JSON_VERSION, page_fields))
        return
    from iastm_coach.views.learn import show_page

    show_page(text)
