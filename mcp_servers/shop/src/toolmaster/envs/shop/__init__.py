"""Bundled environment 'shop' (being written)."""
