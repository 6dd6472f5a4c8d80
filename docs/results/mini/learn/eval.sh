#!/bin/bash
# The evaluations of the learn run, in priority order; each resumes if interrupted.
set -u
cd "$(git rev-parse --show-toplevel)"  # run from a checkout
A=${ADAPTER:-runs/learn/shipped}
B="--max-turns 16 --max-trial-calls 8 --max-new-tokens 512 --batch 8 --concurrency 8 --store runs/learn/eval.db --policy embedded"
E="uv run toolmaster eval run"
log() { echo "$(date +%T) $*" >> runs/learn/eval.log; }
log start
$E --suite in-domain --setting clean --mode trial --mode direct --tasks-per-env 12 --adapter $A $B --run sft-trial-id-clean > runs/learn/e1.log 2>&1; log e1 $?
$E --suite in-domain --setting clean --mode trial --tasks-per-env 2 --adapter $A $B --run sft-trial-regression > runs/learn/e2.log 2>&1; log e2 $?
$E --suite in-domain --setting clean --mode trial --mode direct --tasks-per-env 12 --adapter none $B --run base-id-clean > runs/learn/e3.log 2>&1; log e3 $?
$E --suite out-of-domain --setting clean --mode trial --tasks-per-env 30 --adapter $A $B --run sft-trial-ood-clean > runs/learn/e4.log 2>&1; log e4 $?
$E --suite in-domain --setting renamed --mode trial --tasks-per-env 12 --adapter $A $B --run sft-trial-id-renamed > runs/learn/e5.log 2>&1; log e5 $?
log done
