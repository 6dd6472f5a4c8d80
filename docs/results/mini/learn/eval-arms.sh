#!/bin/bash
# The paper's comparison at checkpoint 440: the SFT-direct arm (train-direct.sh) in direct mode
# against the SFT-trial arm (the shipped adapter, eval-mask440.sh) in trial mode, on the same
# tasks and budgets as eval-mask440.sh, plus the out-of-domain renamed cell both arms lacked.
# Each run resumes if interrupted. Store: runs/learn/eval4.db.
set -u
cd "$(git rev-parse --show-toplevel)"  # run from a checkout
D=${DIRECT:-runs/learn/sft-direct-mask/checkpoint-440}
T=${TRIAL:-runs/learn/sft-mask/checkpoint-440}
B="--max-turns 16 --max-trial-calls 8 --max-new-tokens 512 --batch 8 --concurrency 8 --store runs/learn/eval4.db --policy embedded"
E="uv run toolmaster eval run"
log() { echo "$(date +%T) $*" >> runs/learn/eval-arms.log; }
log start
$E --suite in-domain --setting clean --mode direct --tasks-per-env 12 $B --adapter $D --run direct440-id-clean > runs/learn/k1.log 2>&1; log k1 $?
$E --suite in-domain --setting renamed --mode direct --tasks-per-env 12 $B --adapter $D --run direct440-id-renamed > runs/learn/k2.log 2>&1; log k2 $?
$E --suite out-of-domain --setting clean --mode direct --tasks-per-env 30 $B --adapter $D --run direct440-ood-clean > runs/learn/k3.log 2>&1; log k3 $?
$E --suite out-of-domain --setting renamed --mode direct --tasks-per-env 30 $B --adapter $D --run direct440-ood-renamed > runs/learn/k4.log 2>&1; log k4 $?
$E --suite out-of-domain --setting renamed --mode trial --tasks-per-env 30 $B --adapter $T --run mask440-ood-renamed > runs/learn/k5.log 2>&1; log k5 $?
log done
