"""iastm-coach: a command-line coach for safe home IASTM self-treatment."""

from __future__ import annotations

__version__ = "0.1.0"
