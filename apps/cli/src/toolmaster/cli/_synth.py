"""`toolmaster synth` (being built)."""

from __future__ import annotations
