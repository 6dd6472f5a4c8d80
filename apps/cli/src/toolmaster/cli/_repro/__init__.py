"""Reproduction pipelines: `toolmaster repro mini|paper` (`just repro-mini`, `just repro-paper`).
Stages run once, resume, and write their reports to docs/results/."""

from toolmaster.cli._repro._command import repro_app

__all__ = ["repro_app"]
