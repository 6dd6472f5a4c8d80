"""Reproduction pipelines: `python -m scripts.repro mini|paper` (`just repro-mini`,
`just repro-paper`). Stages run once, resume, and write their reports to docs/results/."""
