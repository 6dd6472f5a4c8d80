"""`toolmaster data` (being built)."""

from __future__ import annotations
