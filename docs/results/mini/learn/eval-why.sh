#!/bin/bash
# Why the SFT-trial arm lost to the SFT-direct arm (eval-arms.sh): each arm in the other's mode,
# and the trial arm with a smaller trial budget, on the in-domain clean tasks of eval-arms.sh;
# then both arms in the evolved setting (v2 tools: changed signatures and output shapes, where
# what the direct arm memorised is wrong and trialling should pay).
# Each run resumes if interrupted. Store: runs/learn/eval4.db.
set -u
cd "$(git rev-parse --show-toplevel)"  # run from a checkout
D=${DIRECT:-runs/learn/sft-direct-mask/checkpoint-440}
T=${TRIAL:-runs/learn/sft-mask/checkpoint-440}
B="--suite in-domain --setting clean --tasks-per-env 12 --max-turns 16 --max-new-tokens 512 --batch 8 --concurrency 8 --store runs/learn/eval4.db --policy embedded"
E="uv run toolmaster eval run"
log() { echo "$(date +%T) $*" >> runs/learn/eval-arms.log; }
$E $B --mode trial --max-trial-calls 8 --adapter $D --run direct440-id-clean-trialmode > runs/learn/w1.log 2>&1; log w1 $?
$E $B --mode trial --max-trial-calls 3 --adapter $T --run mask440-id-clean-trial3 > runs/learn/w2.log 2>&1; log w2 $?
V="--suite in-domain --setting evolved --tasks-per-env 12 --max-turns 16 --max-trial-calls 8 --max-new-tokens 512 --batch 8 --concurrency 8 --store runs/learn/eval4.db --policy embedded"
$E $V --mode direct --adapter $D --run direct440-id-evolved > runs/learn/w3.log 2>&1; log w3 $?
$E $V --mode trial --adapter $T --run mask440-id-evolved > runs/learn/w4.log 2>&1; log w4 $?
log why-done
