# ToolMaster recipes. `just --list` shows them all.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Install the workspace (one lockfile; Python 3.11 from this machine).
setup:
    uv sync --locked

# The main job on embedded defaults: bundled servers, SQLite store, the embedded model.
demo *ARGS: setup
    uv run --locked toolmaster demo {{ARGS}}

# The terminal UI: live trials, runs, sessions, experience (--store PATH)
tui *ARGS: setup
    uv run --locked toolmaster tui {{ARGS}}

# The default test suite (fast; slow, e2e and gpu tests are selected explicitly).
test *ARGS: setup
    uv run --locked pytest {{ARGS}}

# Tests behind markers: `just test-marked slow`, `just test-marked e2e`.
test-marked MARKER *ARGS: setup
    uv run --locked pytest -m "{{MARKER}}" {{ARGS}}

# Teacher synthesis: reference solvers (or any OpenAI-compatible teacher) over train tasks.
synth *ARGS: setup
    uv run --locked toolmaster synth {{ARGS}}

# Supervised fine-tuning from recorded episodes: `just train-sft cpu-smoke` (configs/train/).
# With no episodes recorded yet, the reference teachers' are recorded first (--synth).
train-sft CONFIG *ARGS: setup
    uv run --locked toolmaster train sft {{CONFIG}} --synth {{ARGS}}

# GRPO over live MCP environments, rewards from the verifiers: `just train-grpo cpu-smoke`.
train-grpo CONFIG *ARGS: setup
    uv run --locked toolmaster train grpo {{CONFIG}} {{ARGS}}

# Evaluate the embedded model in both modes on 3 in-domain tasks; report in runs/eval-report/.
eval *ARGS: setup
    uv run --locked toolmaster eval run --policy embedded --suite in-domain --limit 3 \
        --setting clean --mode trial,direct --max-turns 3 --max-trial-calls 2 \
        --max-new-tokens 64 --batch 6 --concurrency 6 --report runs/eval-report {{ARGS}}

# The paper in miniature on this CPU: SmolLM2-135M + LoRA, base / SFT-direct / SFT-trial / GRPO
# arms on every suite and setting (about two hours; `--quick` checks the wiring in minutes).
# Stages resume; outputs in runs/repro-mini/, the report in docs/results/ (docs/results/mini.md).
repro-mini *ARGS: setup
    uv run --locked toolmaster repro mini {{ARGS}}

# The same stages at full scale: Qwen2.5-7B-Instruct on a multi-GPU node, a teacher behind an
# OpenAI-compatible endpoint, vLLM servers (docs/results/paper.md; unmeasured here).
# `just repro-paper --dry-run` prints the commands.
repro-paper *ARGS: setup
    uv run --locked toolmaster repro paper {{ARGS}}

# Ruff (lint and format check) and the import contracts: layers, and private modules kept
# inside their package (others import the names in its __all__); no import cycle between
# modules (tests/test_import_cycles.py).
lint: setup
    uv run --locked ruff check .
    uv run --locked ruff format --check .
    uv run --locked lint-imports
    uv run --locked pytest -q tests/test_import_cycles.py

# Pyright, strict on packages/ and apps/.
typecheck: setup
    uv run --locked pyright

# Run every benchmark under bench/ (each prints ratios against its anchor).
bench: setup
    for b in bench/*.py; do echo "== $b"; uv run --locked python "$b"; done

# Everything CI runs.
ci: lint typecheck test
    just test-marked "slow or e2e"
