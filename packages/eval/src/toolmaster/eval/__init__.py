"""ToolMaster evaluation: suites, a concurrent runner, metrics and reports."""
