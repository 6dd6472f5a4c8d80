"""Bundled environment 'weather' (being written)."""
