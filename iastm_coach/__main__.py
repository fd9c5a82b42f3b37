"""`python -m iastm_coach` runs the same program as the `iastm-coach` script."""

from __future__ import annotations

from iastm_coach.cli import main

if __name__ == "__main__":
    main()
