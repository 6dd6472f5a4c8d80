"""`toolmaster train grpo` (being built)."""

from __future__ import annotations
