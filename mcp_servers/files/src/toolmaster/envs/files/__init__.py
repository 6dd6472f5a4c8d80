"""Bundled environment 'files' (being written)."""
