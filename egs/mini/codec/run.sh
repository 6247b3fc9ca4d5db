#!/usr/bin/env bash
# The mini codec: trained on the mini corpus's speech, shipped in shipped/mini_codec (what
# `make demo` uses), scored on the held-out test voices.
#
#   stage 1: the mini corpus (shared with egs/mini/lauragpt: built there when missing)
#   stage 2: train the codec (recipes/codec-mini.yaml)            -> exp/codec/codec
#   stage 3: score reconstructions on the test split (held-out voices) at 1, 8, 32 quantizers
#   stage 4: ship: copy the trained codec to shipped/mini_codec (fp16 weights, inference state)
#
# Usage: ./run.sh [--stage N] [--stop-stage N] [--steps N] [--threads N]
# `make demo` runs only stage 3 on the shipped codec (--codec shipped/mini_codec --stage 3).
set -euo pipefail
cd "$(dirname "$0")"

stage=1
stop_stage=4
steps=8000                 # codec training steps (batches of 8 x 1 s)
threads=2                  # torch threads for training
data=../lauragpt/data/mini # the mini corpus (speech of all voices)
codec=exp/codec/codec      # the codec scored in stage 3
eval_utts=60               # test utterances scored (spread over the held-out voices)

. ../../TEMPLATE/utils/parse_options.sh

ROOT=$(cd ../../.. && pwd)
export PYTHONUNBUFFERED=1
log() { echo -e "\n[$(date +%H:%M:%S)] $*"; }

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  if [ ! -f $data/manifest.json ]; then
    log "stage 1: mini corpus (speech only) -> $data"
    laura mini-corpus --out $data --size demo --seed 0 --num-workers 2 --tasks asr
  else
    log "stage 1: mini corpus present at $data"
  fi
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  log "stage 2: train the codec ($steps steps; resumes from exp/codec/checkpoints/last.ckpt)"
  OMP_NUM_THREADS=$threads laura train -c $ROOT/recipes/codec-mini.yaml exp_dir=exp/codec \
    data.train=[$data/asr/train] data.valid=[$data/asr/dev] trainer.max_steps=$steps
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "stage 3: reconstruction quality of $codec on held-out voices ($eval_utts test utterances)"
  out=exp/eval_$(basename $(dirname $codec))_$(basename $codec).json
  laura codec-eval --codec $codec --data $data/asr/test --speakers $data/speakers.tsv \
    --n-q 1,8,32 --max-utts $eval_utts --out $out
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "stage 4: ship exp/codec/codec -> shipped/mini_codec"
  STEPS=$steps python - <<'PY'
import json, os, yaml
from laura.nn.codec import load_codec, save_codec
c = load_codec("exp/codec/codec")
meta = json.load(open("exp/codec/codec/codec.json"))
extra = {k: v for k, v in meta.items() if k not in ("config", "inference_only")}
extra["command"] = f"cd egs/mini/codec && ./run.sh --stage 2 --stop-stage 2 --steps {os.environ['STEPS']}"
extra["train_config"] = yaml.safe_load(open("exp/codec/config.yaml"))
save_codec(c, "shipped/mini_codec", extra, inference_only=True)
PY
  du -h shipped/mini_codec/*
fi
