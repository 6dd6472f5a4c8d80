"""ToolMaster terminal UI (being written)."""
