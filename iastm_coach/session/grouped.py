"""Several yes/no items asked as one question: a numbered list and "any of these?", a yes
asks which one (by number), then "any other of these?". The screening and the aftercare
ask this way, so a person with nothing to declare answers once instead of once an item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from iastm_coach.session.conversation import Conversation

OTHER_QUESTION = "Any other of these?"
WHICH_QUESTION = "Which one? Type its number (0 = none of them after all)"


def numbered(question: str, labels: Sequence[str]) -> str:
    """The items numbered, one a line, then the question."""
    lines = [f"  {number}. {label}" for number, label in enumerate(labels, start=1)]
    return "\n".join([*lines, question])


def ask_grouped(
    talk: Conversation,
    question: str,
    labels: Sequence[str],
    *,
    on_pick: Callable[[int], bool],
    default: bool | None = False,
) -> set[int]:
    """Ask *labels* as one question; call *on_pick* with each index picked, as soon as it
    is picked (so an answer given before Ctrl-C counts); *on_pick* returns False to stop
    asking (a stop answer). Returns the indices picked; every other one is a "no"."""
    picked: set[int] = set()
    prompt = numbered(question, labels)
    while len(picked) < len(labels) and talk.confirm(prompt, default=default):
        prompt = OTHER_QUESTION
        number = 1 if len(labels) == 1 else talk.ask_int(WHICH_QUESTION, low=0, high=len(labels))
        if number == 0 or number - 1 in picked:
            continue
        picked.add(number - 1)
        if not on_pick(number - 1):
            break
    return picked
