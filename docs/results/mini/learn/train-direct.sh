#!/bin/bash
# The SFT-direct arm on the schedule the SFT-trial arm (the shipped adapter) was trained on, so
# the two differ only in their rows (direct against trial episodes of the same train tasks):
#   steps 1-165 of a 220-step cosine (sft-direct.toml), steps 166-330 of a 385-step one, then,
#   from checkpoint 330, steps 331-440 of a 495-step one with half the rows name-masked
#   (sft-direct-mask.toml). The trial arm's sessions ended at those steps; here each phase is
#   stopped once its last checkpoint is saved. Each phase resumes if interrupted.
set -u
cd "$(git rev-parse --show-toplevel)"  # run from a checkout
S="--store runs/learn/teacher.db"
log() { echo "$(date +%T) $*" >> runs/learn/train-direct.log; }

# Run "$@" until checkpoint $1 of folder $2 is saved, then stop it.
until_checkpoint() {
  local step=$1 dir=$2; shift 2
  if [ -f "$dir/checkpoint-$step/trainer_state.json" ]; then log "$dir/checkpoint-$step done"; return; fi
  "$@" >> runs/learn/train-direct.out 2>&1 &
  local pid=$!
  while kill -0 $pid 2>/dev/null; do
    if [ -f "$dir/checkpoint-$step/trainer_state.json" ]; then
      sleep 10; pkill -P $pid; kill $pid 2>/dev/null; wait $pid; break
    fi
    sleep 5
  done
  log "$dir/checkpoint-$step $( [ -f "$dir/checkpoint-$step/trainer_state.json" ] && echo saved || echo MISSING)"
}

log start
T="uv run toolmaster train sft"
until_checkpoint 165 runs/learn/sft-direct $T docs/results/mini/learn/sft-direct.toml $S
until_checkpoint 330 runs/learn/sft-direct $T docs/results/mini/learn/sft-direct.toml $S --resume --max-steps 385
mkdir -p runs/learn/sft-direct-mask
[ -d runs/learn/sft-direct-mask/checkpoint-330 ] || cp -r runs/learn/sft-direct/checkpoint-330 runs/learn/sft-direct-mask/
until_checkpoint 440 runs/learn/sft-direct-mask $T docs/results/mini/learn/sft-direct-mask.toml $S --resume
log done
