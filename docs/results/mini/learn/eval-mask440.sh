#!/bin/bash
# The evaluations of checkpoint 440 of the name-masked continuation (sft-trial-mask.toml), in the
# order they were run, on the same tasks and budgets as eval-330.sh; each resumes if interrupted.
# The report: toolmaster eval report RUN... --out docs/results/mini/learn/mask440
set -u
cd "$(git rev-parse --show-toplevel)"  # run from a checkout
A=${ADAPTER:-runs/learn/sft-mask/checkpoint-440}
B="--max-turns 16 --max-trial-calls 8 --max-new-tokens 512 --batch 8 --concurrency 8 --store runs/learn/eval3.db --policy embedded --adapter $A"
E="uv run toolmaster eval run"
log() { echo "$(date +%T) $*" >> runs/learn/eval-mask.log; }
log start
$E --suite in-domain --setting clean --mode trial --mode direct --tasks-per-env 12 $B --run mask440-id-clean > runs/learn/h1.log 2>&1; log h1 $?
$E --suite in-domain --setting renamed --mode trial --mode direct --tasks-per-env 12 $B --run mask440-id-renamed > runs/learn/h2.log 2>&1; log h2 $?
$E --suite out-of-domain --setting clean --mode trial --mode direct --tasks-per-env 30 $B --run mask440-ood-clean > runs/learn/h3.log 2>&1; log h3 $?
$E --suite in-domain --setting clean --mode trial --tasks-per-env 2 $B --run mask440-regression > runs/learn/h4.log 2>&1; log h4 $?
log done
