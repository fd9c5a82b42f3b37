"""A closed pipe drops output instead of ending the program before it saves."""

from __future__ import annotations

import os
import sys

from iastm_coach.output_guard import output_cannot_stop_saving


def test_writes_after_the_reader_went_away_are_dropped() -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w", buffering=1)
    original = sys.stdout
    sys.stdout = stream
    try:
        os.close(read_end)  # `tee` was killed by the Ctrl-C
        with output_cannot_stop_saving() as guarded:
            print("a line nobody reads")
            print("and another")
            saved = True  # the code after the prints still runs
        assert guarded.reader_gone and saved
    finally:
        sys.stdout = original
        stream.close()
