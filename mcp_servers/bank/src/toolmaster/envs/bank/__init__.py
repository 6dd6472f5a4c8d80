"""Bundled environment 'bank' (being written)."""
