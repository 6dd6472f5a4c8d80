"""`toolmaster train sft` (being built)."""

from __future__ import annotations
