#!/usr/bin/env bash
# The locations the mini recipes (egs/mini/{lauragpt,codec,se_tts}) share, each named once here.
# Every run.sh sources this file right after cd-ing into its own directory and before its option
# defaults (which may use these names) and parse_options.sh, so each path below is relative to
# a recipe directory egs/mini/<recipe>: the same string works from all three. The recipe that
# makes a location spells it from its own directory with `from_here` (below). Upper-case names:
# locations, not options; the options that default to them (codec and se_tts: --data; se_tts:
# --codec, --encoder-init, --asr-exp) override them per run.

# The repository root (recipe configs: $ROOT/recipes/*.yaml).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The mini corpus: every task's data dirs (asr/, se/, tts/, ...) and speakers.tsv. Built by
# egs/mini/lauragpt stage 1; codec and se_tts build it there when it is missing.
MINI_CORPUS=../lauragpt/data/mini

# CTC pre-training of the mini Conformer encoder (egs/mini/lauragpt stage 6, --model trained; its
# weights are encoder.safetensors): the encoder the LauraGPT trainings start from.
MINI_CTC_EXP=../lauragpt/exp/encoder_ctc

# laura's ASR for the mini corpus, the shipped multi-task LauraGPT (committed): se_tts scores the
# WER/CER of its audio outputs with it.
MINI_ASR_EXP=../lauragpt/shipped/lauragpt

# The shipped mini codec (egs/mini/codec stage 4; committed): what `make demo` scores and what
# se_tts makes codec tokens with.
MINI_CODEC=../codec/shipped/mini_codec

# from_here PATH: PATH as the recipe it points into spells it (../lauragpt/data/mini is data/mini
# in egs/mini/lauragpt); any other PATH unchanged.
from_here() { local own="../$(basename "$PWD")/"; echo "${1#"$own"}"; }

# The codec whose first group is the mini LauraGPT's audio vocabulary (the plain mini codec,
# shipped with egs/mini/se_tts): the token caches, the vocoder and the decoder of SE/TTS outputs.
MINI_LM_CODEC=../se_tts/shipped/codec
