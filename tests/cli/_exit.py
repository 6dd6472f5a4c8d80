"""Run the CLI in-process and get its exit status, as a shell would."""

from __future__ import annotations

from toolmaster.cli._app import main


def run(*argv: str) -> int:
    """`toolmaster ARGV...`: its exit status (0 when it returns without `SystemExit`)."""
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
