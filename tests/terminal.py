"""Running the installed program as a person does: in a pseudo-terminal, or piped."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

# The console script next to this interpreter (the venv's), not whichever one is on PATH.
PROGRAM = shutil.which("iastm-coach", path=str(Path(sys.executable).parent)) or "iastm-coach"
