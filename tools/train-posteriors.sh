#!/usr/bin/env bash
# Fits every sampled posterior (BLoB, SWAG, LoRA ensemble, SVGD particles, MC dropout) and temperature
# scaling for a classification adapter of the demo bundle, or the ensemble, MC dropout and temperature for
# its reward adapter, on the real data, then evaluates every method on every split.
# Runs after the adapter's MAP fine-tune, K-FAC factors and prior are in the bundle (tools/train-bundle.sh
# calls it per adapter). BLoB's KL weight and SWAG's learning rate are the values the validation NLL
# chose on the earlier demo base (README, "Every posterior on the same tasks").
# Usage: tools/train-posteriors.sh [work folder (default artifacts)] [bundle folder (default models/demo)] [adapter ...]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-artifacts}
bundle=${2:-models/demo}
adapters=("${@:3}"); [[ ${#adapters[@]} -gt 0 ]] || adapters=(wordnet-mcq spam vader-reward)
source tools/demo-settings.sh
timings="$work/posterior-times.txt"
mkdir -p "$work"

sampled_posteriors() {
  local task=$1 data="$work/data/$1/examples.jsonl" adapter="$bundle/adapters/$1" n=${train_size[$1]}
  local data_options=(--base "$bundle/base" --adapter "$adapter" --data "$data" --max-tokens "${max_tokens[$task]}")
  local common=("${data_options[@]}" --train-size "$n" --batch-size 8 --prior-precision 1)
  step "$task fit-mc-dropout" "${cli[@]}" fit-mc-dropout "${common[@]}" --lr 2e-3 --steps "${steps[$task]}" --dropout 0.1
  step "$task fit-swag" "${cli[@]}" fit-swag "${common[@]}" --lr 1e-2 --steps 200 --every 10 --rank-k 10
  step "$task fit-blob" "${cli[@]}" fit-blob "${common[@]}" --lr 2e-3 --steps "${steps[$task]}" --prior-std 0.2 --kl-weight 0.1
  step "$task fit-ensemble" "${cli[@]}" fit-ensemble "${common[@]}" --lr 2e-3 --steps "${steps[$task]}" --members "${members[$task]}"
  step "$task fit-svgd" "${cli[@]}" fit-ensemble "${common[@]}" --lr 2e-3 --steps "${steps[$task]}" --members "${members[$task]}" --svgd
  step "$task fit-temperature" "${cli[@]}" fit-temperature "${data_options[@]}"
  step "$task evaluate" "${cli[@]}" evaluate "${data_options[@]}" --samples 1000 --train-size "$n" > "$work/$task-evaluate.txt"
}

# The reward adapter: an ensemble (each member its own LoRA and score head) and MC dropout, both trained
# with the Bradley-Terry objective of finetune-reward, then every method evaluated.
reward_posteriors() {
  local task=vader-reward prefs="$work/data/vader-preference/preferences.jsonl" reward="$bundle/adapters/vader-reward"
  local common=(--base "$bundle/base" --adapter "$reward" --data "$prefs" --batch-size 16 --prior-precision 1 --lr 2e-3 --steps "${steps[$task]}")
  step "$task fit-ensemble" "${cli[@]}" fit-ensemble "${common[@]}" --members "${members[$task]}"
  step "$task fit-mc-dropout" "${cli[@]}" fit-mc-dropout "${common[@]}" --dropout 0.1
  step "$task fit-temperature" "${cli[@]}" fit-temperature --base "$bundle/base" --adapter "$reward" --data "$prefs"
  step "$task evaluate" "${cli[@]}" evaluate-reward --base "$bundle/base" --adapter "$reward" --data "$prefs" --samples 1000 > "$work/$task-evaluate.txt"
}

for adapter in "${adapters[@]}"; do
  if [[ $adapter == vader-reward ]]; then reward_posteriors; else sampled_posteriors "$adapter"; fi
  rm -f "$bundle/adapters/$adapter"/reliability-*.png
done
