"""Bundled environment 'sqlbase' (being written)."""
