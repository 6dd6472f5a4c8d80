"""Bundled environment 'jokes' (being written)."""
