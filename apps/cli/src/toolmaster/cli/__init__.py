"""The `toolmaster` command line."""
