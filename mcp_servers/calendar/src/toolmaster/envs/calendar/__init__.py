"""Bundled environment 'calendar' (being written)."""
