#!/bin/bash
# The evaluations of checkpoint 330 (the shipped adapter), in the order they were run; each
# resumes if interrupted. The report: toolmaster eval report RUN... --out docs/results/mini/learn/sft330
set -u
cd "$(git rev-parse --show-toplevel)"  # run from a checkout
A=${ADAPTER:-runs/learn/sft-trial/checkpoint-330}
B="--max-turns 16 --max-trial-calls 8 --max-new-tokens 512 --batch 8 --concurrency 8 --store runs/learn/eval2.db --policy embedded --adapter $A"
E="uv run toolmaster eval run"
log() { echo "$(date +%T) $*" >> runs/learn/eval2.log; }
log start
$E --suite in-domain --setting clean --mode trial --mode direct --tasks-per-env 12 $B --run sft330-id-clean > runs/learn/f1.log 2>&1; log f1 $?
$E --suite in-domain --setting clean --mode trial --tasks-per-env 2 $B --run sft330-regression > runs/learn/f2.log 2>&1; log f2 $?
$E --suite in-domain --setting renamed --mode trial --mode direct --tasks-per-env 12 $B --run sft330-id-renamed > runs/learn/g1.log 2>&1; log g1 $?
$E --suite out-of-domain --setting clean --mode trial --mode direct --tasks-per-env 30 $B --run sft330-ood-clean > runs/learn/g2.log 2>&1; log g2 $?
log done
