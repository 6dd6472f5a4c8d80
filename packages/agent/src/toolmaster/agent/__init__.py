"""ToolMaster agent runtime (being written)."""
