#!/usr/bin/env bash
# Reproduces the trained demo bundle: real data, a base model pre-trained from scratch, and for each
# task a LoRA MAP fine-tune, K-FAC factors, an evidence-tuned prior and a calibration report, then
# (tools/train-posteriors.sh) every sampled posterior and a calibration report of every method.
# Usage: tools/train-bundle.sh [work folder (default artifacts)] [bundle folder (default models/demo)]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-artifacts}
bundle=${2:-models/demo}
cli=(dotnet run --project src/UncertaintyService.Cli -c Release --no-build --)
dotnet build src/UncertaintyService.Cli -c Release -v quiet

step() { local name=$1; shift; local start=$SECONDS; "$@"; echo "time $name $((SECONDS - start)) s" | tee -a "$work/times.txt"; }
mkdir -p "$work"; : > "$work/times.txt"

step data "${cli[@]}" data --out "$work/data"
# Pre-training is the long step (hours on two cores): it checkpoints every 200 steps and, run again, resumes.
step pretrain "${cli[@]}" pretrain --corpus "$work/data/pretraining-corpus.txt" --tokenizer models/tokenizers/llama2/tokenizer.model \
  --out "$work/base" --hidden-size 192 --layers 6 --intermediate-size 512 --heads 6 --kv-heads 2 \
  --sequence-length 128 --batch-size 16 --steps 5000 --checkpoint "$work/pretrain-checkpoint"

declare -A train_size=([wordnet-mcq]=500 [spam]=300)
declare -A targets=([wordnet-mcq]="q_proj v_proj o_proj" [spam]="q_proj v_proj")
declare -A steps=([wordnet-mcq]=1500 [spam]=400)
for task in wordnet-mcq spam; do
  data="$work/data/$task/examples.jsonl"
  adapter="$work/adapters/$task"
  n=${train_size[$task]}
  step "$task finetune" "${cli[@]}" finetune --base "$work/base" --data "$data" --out "$adapter" --train-size "$n" \
    --rank 8 --alpha 16 --targets ${targets[$task]} --steps "${steps[$task]}" --lr 2e-3 --batch-size 8 --prior-precision 1
  step "$task fit-kfac" "${cli[@]}" fit-kfac --base "$work/base" --adapter "$adapter" --data "$data" --train-size "$n" --fisher exact --positions expand
  step "$task tune-prior" "${cli[@]}" tune-prior --base "$work/base" --adapter "$adapter" --data "$data" --train-size "$n"
  step "$task evaluate" "${cli[@]}" evaluate --base "$work/base" --adapter "$adapter" --data "$data" --samples 1000 | tee "$work/$task-evaluate.txt"
done

# The reward model: Bradley-Terry on the VADER preference pairs, with the same base.
prefs="$work/data/vader-preference/preferences.jsonl"
reward="$work/adapters/vader-reward"
step "reward finetune" "${cli[@]}" finetune-reward --base "$work/base" --data "$prefs" --out "$reward" --rank 8 --alpha 16 \
  --targets q_proj v_proj --steps 800 --lr 2e-3 --batch-size 16 --prior-precision 1
step "reward fit-kfac" "${cli[@]}" fit-kfac-reward --base "$work/base" --adapter "$reward" --data "$prefs" --fisher exact --positions expand
step "reward tune-prior" "${cli[@]}" tune-prior-reward --base "$work/base" --adapter "$reward" --data "$prefs"
step "reward evaluate" "${cli[@]}" evaluate-reward --base "$work/base" --adapter "$reward" --data "$prefs" --samples 1000 | tee "$work/vader-reward-evaluate.txt"

rm -rf "$bundle"
mkdir -p "$bundle/adapters"
cp -r "$work/base" "$bundle/base"
for task in wordnet-mcq spam vader-reward; do
  mkdir -p "$bundle/adapters/$task"
  cp "$work/adapters/$task"/{adapter_config.json,adapter_model.safetensors,task.json,kfac.safetensors,posterior.json,calibration.json} "$bundle/adapters/$task/"
done
du -sh "$bundle"

# The sampled posteriors (BLoB, SWAG, ensemble, SVGD, MC dropout) of the classification adapters, fitted
# and evaluated in the bundle itself.
tools/train-posteriors.sh "$work" "$bundle"
