"""ToolMaster MCP layer."""
