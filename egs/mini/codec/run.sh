#!/usr/bin/env bash
# The mini codec: trained on the mini corpus's speech, shipped in shipped/mini_codec (what
# `make demo` uses), scored on the held-out test voices.
#
#   stage 1: the mini corpus (shared with egs/mini/lauragpt: built there when missing)
#   stage 2: train the codec (recipes/codec-mini.yaml)            -> exp/codec/codec
#            then (--harmonic true) fine-tune it as a harmonic codec: the encoder also reads
#            YIN pitch, the decoder adds partials at its F0
#            (recipes/codec-mini-harmonic.yaml)                   -> exp/codec_harmonic/codec
#            then (--explicit-f0 true) with YIN's F0 carried in the latent itself and voiced
#            frames rendered as partials below 2.5 kHz
#            (recipes/codec-mini-explicit-f0.yaml)                -> exp/codec_explicit/codec
#            Each training's model and optimiser are its config file; this script passes
#            only paths (exp_dir, init_from, data) and the step budget.
#   stage 3: score reconstructions on the test split (held-out voices) at 1, 8, 32 quantizers
#   stage 4: ship: copy the trained codec to shipped/mini_codec (fp16 weights, inference state)
#
# Usage: ./run.sh [--stage N] [--stop-stage N] [--steps N] [--harmonic true|false]
#                 [--harmonic-steps N] [--explicit-f0 true|false] [--explicit-steps N] [--threads N]
# Score the shipped codec alone: ./run.sh --stage 3 --stop-stage 3 --codec shipped/mini_codec
set -euo pipefail
cd "$(dirname "$0")"
. ../paths.sh  # locations shared by the mini recipes: ROOT, MINI_CORPUS, MINI_CODEC

stage=1
stop_stage=4
steps=8000                 # codec training steps (batches of 8 x 1 s)
harmonic=true              # fine-tune into the harmonic codec (what shipped/mini_codec is)
harmonic_steps=8000        # its steps
explicit_f0=true           # then the explicit-F0 harmonic codec (what shipped/mini_codec is)
explicit_steps=9000        # its steps
threads=2                  # torch threads for training
data=$MINI_CORPUS          # ../lauragpt/data/mini: the mini corpus (speech of all voices)
codec=                     # the codec scored in stage 3 (default: the one stage 2 trains)
eval_utts=60               # test utterances scored (spread over the held-out voices)

. ../../TEMPLATE/utils/parse_options.sh

export PYTHONUNBUFFERED=1
log() { echo -e "\n[$(date +%H:%M:%S)] $*"; }
trained=exp/codec
[ "$harmonic" = true ] && trained=exp/codec_harmonic
[ "$harmonic" = true ] && [ "$explicit_f0" = true ] && trained=exp/codec_explicit
[ -n "$codec" ] || codec=$trained/codec

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
  if [ "$harmonic" = true ]; then
    log "stage 2: harmonic fine-tune ($harmonic_steps steps from exp/codec/codec)"
    OMP_NUM_THREADS=$threads laura train -c $ROOT/recipes/codec-mini-harmonic.yaml \
      exp_dir=exp/codec_harmonic init_from=exp/codec/codec \
      data.train=[$data/asr/train] data.valid=[$data/asr/dev] trainer.max_steps=$harmonic_steps
  fi
  if [ "$harmonic" = true ] && [ "$explicit_f0" = true ]; then
    log "stage 2: explicit-F0 fine-tune ($explicit_steps steps from exp/codec_harmonic/codec)"
    OMP_NUM_THREADS=$threads laura train -c $ROOT/recipes/codec-mini-explicit-f0.yaml \
      exp_dir=exp/codec_explicit init_from=exp/codec_harmonic/codec \
      data.train=[$data/asr/train] data.valid=[$data/asr/dev] trainer.max_steps=$explicit_steps
  fi
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "stage 3: reconstruction quality of $codec on held-out voices ($eval_utts test utterances)"
  out=exp/eval_$(basename $(dirname $codec))_$(basename $codec).json
  laura codec-eval --codec $codec --data $data/asr/test --speakers $data/speakers.tsv \
    --n-q 1,8,32 --max-utts $eval_utts --out $out --overwrite
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  ship=$(from_here $MINI_CODEC)  # shipped/mini_codec
  log "stage 4: ship $trained/codec -> $ship"
  laura export --fp16 $trained/codec $ship --overwrite --info \
    command="cd egs/mini/codec && ./run.sh --stage 2 --stop-stage 2 --steps $steps --harmonic $harmonic --harmonic-steps $harmonic_steps --explicit-f0 $explicit_f0 --explicit-steps $explicit_steps" \
    train_config=@$trained/config.yaml
  du -h $ship/*
fi
