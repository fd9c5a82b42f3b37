"""The discomfort check at each break between areas (issue 10 item 7).

After every area but the last the timer asks "Discomfort now?": on the live screen
one key (a digit, s for sharp pain, t for tingling, Enter or space when fine), in
plain mode one line. Discomfort of 7 or more, sharp pain or tingling ends the
session there (a `redflags.STOP_REASONS` id; the session then holds the region).
`timer.run_plan(check_between=...)` asks it with the clock paused.
"""

from __future__ import annotations

from iastm_coach.safety.redflags import area_check_reason
from iastm_coach.session.conversation import Conversation, EndOfInput
from iastm_coach.session.shown import line
from iastm_coach.session.timer import (
    DEFAULT_TICK_S,
    QUIT_AT_BREAK,
    QUIT_KEYS,
    AreaCheck,
    KeySource,
    Step,
    TimerView,
    confirm_with_keys,
)

CHECK_QUESTION = "Discomfort now? 0-9 (7 or more stops), s = sharp pain, t = tingling"
CHECK_LINE = "Discomfort now, 0-10? (s = sharp pain, t = tingling; 7 or more stops)"
CHECK_TRIES = 5


def parse_check(answer: str) -> str | None:
    """An answer to the check: a stop reason id, "" to carry on, None when it does not
    fit (ask again). Discomfort 7 or more, sharp pain or tingling stop (§7)."""
    answer = answer.strip().lower()
    if answer in ("", "c"):  # Enter or space (stripped), or c: carry on
        return ""
    if answer in ("s", "sharp"):
        return area_check_reason(None, sharp=True)
    if answer in ("t", "tingling"):
        return area_check_reason(None, tingling=True)
    if answer.isascii() and answer.isdigit() and int(answer) <= 10:  # not "¹" or "٣"
        return area_check_reason(int(answer))
    return None


def check_with_keys(keys: KeySource, view: TimerView) -> AreaCheck:
    """The one-key check on the live screen. Waits as long as it takes (the timer is
    paused meanwhile); Ctrl-C still interrupts, and q (the footer's "q quit") asks
    "Quit the session?" as during the strokes."""
    confirm_quit = confirm_with_keys(keys, view)

    def check(done: Step) -> str:
        view.check_prompt(True)
        try:
            while True:
                key = keys.wait_key(DEFAULT_TICK_S)
                if key is not None and key.lower() in QUIT_KEYS:
                    view.check_prompt(False)
                    if confirm_quit():
                        return QUIT_AT_BREAK
                    view.check_prompt(True)
                    continue
                verdict = None if key is None else parse_check(key)
                if verdict is not None:
                    return verdict
        finally:
            view.check_prompt(False)

    return check


CHECKS_OFF = line(
    "No more discomfort checks between areas in this session (no answer could be read). "
    "Stop at once with q, or Ctrl-C, at sharp or spreading pain, tingling or numbness, "
    "or discomfort of 7 or more.",
    tone="caution",
)


def check_with_line(talk: Conversation) -> AreaCheck:
    """The area-break check in plain mode: one line (a number, s, t, or Enter for fine).
    Input that ends, or keeps not fitting, stops the checks (the session carries on to
    its aftercare, which says what was not answered)."""
    ended = False

    def check(done: Step) -> str:
        nonlocal ended
        for _ in range(CHECK_TRIES):
            if ended:
                return ""
            try:
                verdict = parse_check(talk.ask_text(CHECK_LINE))
            except EndOfInput:
                ended = True
                talk.show(CHECKS_OFF)
                return ""
            if verdict is not None:
                return verdict
            talk.show(
                line("Please type a number from 0 to 10, s or t, or press Enter.", tone="caution")
            )
        ended = True
        talk.show(CHECKS_OFF)  # never silently: the person must know the brake is theirs now
        return ""

    return check
