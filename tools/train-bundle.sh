#!/usr/bin/env bash
# Reproduces the trained demo bundle: real data, a base model pre-trained from scratch, and for each
# adapter a LoRA MAP fine-tune, K-FAC factors and an evidence-tuned prior, then (tools/train-posteriors.sh)
# every sampled posterior, temperature scaling and a calibration report of every method.
# Usage: tools/train-bundle.sh [work folder (default artifacts)] [bundle folder (default models/demo)]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-artifacts}
bundle=${2:-models/demo}
source tools/demo-settings.sh
dotnet build src/UncertaintyService.Cli -c Release -v quiet

timings="$work/times.txt"
mkdir -p "$work"; : > "$timings"; : > "$work/posterior-times.txt"

step data "${cli[@]}" data --out "$work/data"
# Pre-training is the long step (hours on two cores): it checkpoints every 200 steps and, run again, resumes.
step pretrain "${cli[@]}" pretrain --corpus "$work/data/pretraining-corpus.txt" --tokenizer models/tokenizers/llama2/tokenizer.model \
  --out "$work/base" --hidden-size 192 --layers 6 --intermediate-size 512 --heads 6 --kv-heads 2 \
  --sequence-length 128 --batch-size 16 --steps 5000 --checkpoint "$work/pretrain-checkpoint"

rm -rf "$bundle"
mkdir -p "$bundle/adapters"
cp -r "$work/base" "$bundle/base"

classification_adapter() {
  local task=$1 data="$work/data/$1/examples.jsonl" adapter="$work/adapters/$1"
  local common=(--base "$work/base" --adapter "$adapter" --data "$data" --train-size "${train_size[$task]}" --max-tokens "${max_tokens[$task]}")
  step "$task finetune" "${cli[@]}" finetune --base "$work/base" --data "$data" --out "$adapter" --train-size "${train_size[$task]}" \
    --max-tokens "${max_tokens[$task]}" --rank 8 --alpha 16 --targets q_proj v_proj --steps "${steps[$task]}" --lr 2e-3 --batch-size 8 --prior-precision 1
  step "$task fit-kfac" "${cli[@]}" fit-kfac "${common[@]}" --fisher exact --positions expand
  step "$task tune-prior" "${cli[@]}" tune-prior "${common[@]}"
  publish "$task"
  tools/train-posteriors.sh "$work" "$bundle" "$task"
}

# The reward model: Bradley-Terry on the VADER preference pairs, with the same base.
reward_adapter() {
  local task=$1 prefs="$work/data/vader-preference/preferences.jsonl" adapter="$work/adapters/vader-reward"
  step "$task finetune" "${cli[@]}" finetune-reward --base "$work/base" --data "$prefs" --out "$adapter" --rank 8 --alpha 16 \
    --targets q_proj v_proj --steps "${steps[$task]}" --lr 2e-3 --batch-size 16 --prior-precision 1
  step "$task fit-kfac" "${cli[@]}" fit-kfac-reward --base "$work/base" --adapter "$adapter" --data "$prefs" --fisher exact --positions expand
  step "$task tune-prior" "${cli[@]}" tune-prior-reward --base "$work/base" --adapter "$adapter" --data "$prefs"
  publish "$task"
  tools/train-posteriors.sh "$work" "$bundle" "$task"
}

# Copies an adapter's MAP weights, factors and prior into the bundle, where its posteriors are fitted.
publish() {
  mkdir -p "$bundle/adapters/$1"
  cp "$work/adapters/$1"/{adapter_config.json,adapter_model.safetensors,task.json,kfac.safetensors,posterior.json} "$bundle/adapters/$1/"
}

# The three adapters run side by side, one thread each (the machine has two cores); each writes
# $work/<adapter>.log, and the script fails if any of them fails.
pids=()
for lane in "classification_adapter wordnet-mcq" "classification_adapter spam" "reward_adapter vader-reward"; do
  (export OMP_NUM_THREADS=1; $lane) > "$work/${lane##* }.log" 2>&1 & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
du -sh "$bundle"
