"""`toolmaster eval run|report|compare` (being built)."""

from __future__ import annotations
