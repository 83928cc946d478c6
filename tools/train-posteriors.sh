#!/usr/bin/env bash
# Fits every sampled posterior (BLoB, SWAG, LoRA ensemble, SVGD particles, MC dropout) and temperature scaling for the demo
# bundle's classification adapters, and the ensemble and MC dropout for its reward adapter, on the real
# data, then evaluates every method on every split.
# Runs after tools/train-bundle.sh (which writes the data, the base model, the MAP adapters and Laplace).
# BLoB's KL weight and SWAG's learning rate are the values the validation NLL chose (README, Results).
# Usage: tools/train-posteriors.sh [work folder (default artifacts)] [bundle folder (default models/demo)]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-artifacts}
bundle=${2:-models/demo}
cli=(dotnet run --project src/UncertaintyService.Cli -c Release --no-build --)
dotnet build src/UncertaintyService.Cli -c Release -v quiet

step() { local name=$1; shift; local start=$SECONDS; "$@"; echo "time $name $((SECONDS - start)) s" | tee -a "$work/posterior-times.txt"; }
mkdir -p "$work"; touch "$work/posterior-times.txt"

declare -A train_size=([wordnet-mcq]=500 [spam]=300)
declare -A steps=([wordnet-mcq]=1500 [spam]=400)
declare -A blob_kl=([wordnet-mcq]=${BLOB_KL_WEIGHT:-0.1} [spam]=${BLOB_KL_WEIGHT:-0.1})
declare -A swag_lr=([wordnet-mcq]=${SWAG_LR:-1e-2} [spam]=${SWAG_LR:-1e-2})
members=${MEMBERS:-5}
for task in ${TASKS:-wordnet-mcq spam}; do
  data="$work/data/$task/examples.jsonl"
  adapter="$bundle/adapters/$task"
  n=${train_size[$task]}
  common=(--base "$bundle/base" --adapter "$adapter" --data "$data" --train-size "$n" --batch-size 8 --prior-precision 1)
  step "$task fit-mc-dropout" "${cli[@]}" fit-mc-dropout "${common[@]}" --lr 2e-3 --steps "${steps[$task]}" --dropout 0.1
  step "$task fit-swag" "${cli[@]}" fit-swag "${common[@]}" --lr "${swag_lr[$task]}" --steps 200 --every 10 --rank-k 10
  step "$task fit-blob" "${cli[@]}" fit-blob "${common[@]}" --lr 2e-3 --steps "${steps[$task]}" --prior-std 0.2 --kl-weight "${blob_kl[$task]}"
  step "$task fit-ensemble" "${cli[@]}" fit-ensemble "${common[@]}" --lr 2e-3 --steps "${steps[$task]}" --members "$members"
  step "$task fit-svgd" "${cli[@]}" fit-ensemble "${common[@]}" --lr 2e-3 --steps "${steps[$task]}" --members "$members" --svgd
  step "$task fit-temperature" "${cli[@]}" fit-temperature --base "$bundle/base" --adapter "$adapter" --data "$data"
  step "$task evaluate" "${cli[@]}" evaluate --base "$bundle/base" --adapter "$adapter" --data "$data" --samples 1000 --train-size "$n" \
    | tee "$work/$task-evaluate-all.txt"
done

# The reward adapter: a 5-member ensemble (each member its own LoRA and score head) and MC dropout,
# both trained with the Bradley-Terry objective of finetune-reward, then every method evaluated.
prefs="$work/data/vader-preference/preferences.jsonl"
reward="$bundle/adapters/vader-reward"
common=(--base "$bundle/base" --adapter "$reward" --data "$prefs" --batch-size 16 --prior-precision 1 --lr 2e-3 --steps 800)
step "vader-reward fit-ensemble" "${cli[@]}" fit-ensemble "${common[@]}" --members "$members"
step "vader-reward fit-mc-dropout" "${cli[@]}" fit-mc-dropout "${common[@]}" --dropout 0.1
step "vader-reward fit-temperature" "${cli[@]}" fit-temperature --base "$bundle/base" --adapter "$reward" --data "$prefs"
step "vader-reward evaluate" "${cli[@]}" evaluate-reward --base "$bundle/base" --adapter "$reward" --data "$prefs" --samples 1000 \
  | tee "$work/vader-reward-evaluate-all.txt"
rm -f "$bundle"/adapters/*/reliability-*.png
du -sh "$bundle"
