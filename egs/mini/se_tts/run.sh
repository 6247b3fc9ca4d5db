#!/usr/bin/env bash
# Audio out on the mini corpus: the one-step codec vocoder (and the multi-step baseline of the
# paper's Table 3) for SE and TTS, on the shipped mini codec's tokens.
#
#   stage 1: the mini corpus (shared with egs/mini/lauragpt: built there when SE/TTS are missing)
#   stage 2: BPE tokenizer on the TTS training text                       -> exp/bpe
#   stage 3: codec tokens, all 32 groups (SE clean targets, TTS speech)   -> data/*/codec_tokens
#   stage 4: train the one-step vocoder (recipes/vocoder-mini.yaml)      -> exp/vocoder_one_step
#   stage 5: train the multi-step baseline (--ablation true)              -> exp/vocoder_multi_step
#   stage 6: score the vocoders from ground-truth first-group tokens on the test split
#            (PESQ/STOI against the clean/recorded audio, beside the first group alone, all
#            32 groups, and SE's noisy input; wavs and spectrogram PNGs)   -> exp/*/eval_{se,tts}
#   stage 7: train LauraGPT on SE + TTS (recipes/lauragpt-se-tts-mini.yaml) -> exp/lauragpt_se_tts
#   stage 8: decode the test splits: LM tokens -> vocoder -> codec decoder -> wavs + PNGs
#   stage 9: score (SE: PESQ/STOI vs the noisy input per SNR; TTS: WER by laura's ASR model and
#            pocketsphinx, SECS, DNSMOS; loop ratio)   -> exp/decode_{trained,shipped}/{se,tts}_test
#
# What ships is the multi-task LauraGPT of ../lauragpt (SE and TTS among its tasks, with its own
# vocoder); this recipe keeps the vocoder ablation and the SE/TTS-only LM it was developed with.
# Any LauraGPT with SE/TTS decodes here: ./run.sh --stage 8 --lm ../lauragpt/shipped/lauragpt \
#   --vocoder ../lauragpt/shipped/vocoder
#
# Usage: ./run.sh [--stage N] [--stop-stage N] [--vocoder-steps N] [--ablation true] ...
set -euo pipefail
cd "$(dirname "$0")"
. ../paths.sh  # locations shared by the mini recipes: ROOT, MINI_CORPUS, MINI_CODEC, ...

stage=1
stop_stage=9
data=$MINI_CORPUS           # ../lauragpt/data/mini: the mini corpus (all tasks; lauragpt builds the same)
tasks=asr,s2tt,slu,ser,aac,se,tts
size=demo
seed=0
nj=2
codec=$MINI_CODEC           # ../codec/shipped/mini_codec: for training; shipped/codec is the plain codec the LMs' tokens come from
bpe_size=500
vocoder_steps=1200
ablation=false              # true: also train and score the multi-step baseline (stage 5)
eval_utts=100               # test utterances scored per task (spread over the split)
threads=2                   # torch threads for training and scoring
lm_steps=8000               # LauraGPT SE+TTS training steps
encoder_init=$MINI_CTC_EXP/encoder.safetensors  # ../lauragpt/exp/encoder_ctc/encoder.safetensors: CTC encoder of the ASR recipe
lm=exp/lauragpt_se_tts      # the LM decoded in stage 8 (an experiment dir)
vocoder=exp/vocoder_one_step/vocoder  # the vocoder used in stage 8
asr_exp=$MINI_ASR_EXP       # ../lauragpt/shipped/lauragpt: laura's ASR model scoring the outputs (skipped if absent)
decode_utts=60              # test utterances decoded per task in stage 8
vocoder_args=""             # more key=value overrides for the vocoder trainings
lm_args=""                  # more key=value overrides for the LauraGPT training

. ../../TEMPLATE/utils/parse_options.sh

export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=$threads
log() { echo -e "\n[$(date +%H:%M:%S)] $*"; }

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  if [ -f $data/se/train/wav.scp ] && [ -f $data/tts/train/wav.scp ]; then
    log "stage 1: mini corpus with SE and TTS present at $data"
  else
    log "stage 1: mini corpus ($size, tasks $tasks) -> $data"
    laura mini-corpus --out $data --size $size --seed $seed --num-workers $nj --tasks $tasks
  fi
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  log "stage 2: BPE tokenizer ($bpe_size) on the TTS training text"
  laura train-tokenizer --text $data/tts/train/text --vocab-size $bpe_size --out exp/bpe
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "stage 3: codec tokens (32 groups) with $codec"
  laura codec-tokens --codec $codec --field clean --n-q 32 --data $data/se/train $data/se/dev $data/se/test
  laura codec-tokens --codec $codec --field audio --n-q 32 --data $data/tts/train $data/tts/dev $data/tts/test
fi

voc_args="codec=$codec tokenizer.path=exp/bpe trainer.max_steps=$vocoder_steps seed=$seed
  data.sources.0.train=[$data/se/train] data.sources.0.valid=[$data/se/dev]
  data.sources.1.train=[$data/tts/train] data.sources.1.valid=[$data/tts/dev]"

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "stage 4: one-step vocoder ($vocoder_steps steps; resumes from its last checkpoint)"
  # shellcheck disable=SC2086
  laura train -c $ROOT/recipes/vocoder-mini.yaml $voc_args exp_dir=exp/vocoder_one_step $vocoder_args
fi

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ] && [ "$ablation" = true ]; then
  log "stage 5: multi-step baseline (the Table 3 ablation; $vocoder_steps steps)"
  # shellcheck disable=SC2086
  laura train -c $ROOT/recipes/vocoder-mini.yaml $voc_args exp_dir=exp/vocoder_multi_step \
    vocoder.kind=multi_step token_noise=0.0 $vocoder_args
fi

if [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then
  voc_asr=""  # WER/CER of every system by laura's ASR model, when the ASR recipe has one
  [ -f $asr_exp/model.safetensors ] && voc_asr="--asr-exp $asr_exp"
  kinds=one_step
  [ "$ablation" = true ] && kinds="one_step multi_step"
  for kind in $kinds; do
    for task in SE TTS; do
      t=$(echo $task | tr A-Z a-z)
      log "stage 6: $kind vocoder on $t/test (ground-truth first-group tokens)"
      # --overwrite: the stage re-scores (the vocoder may have trained further since)
      # shellcheck disable=SC2086
      laura vocoder-eval --vocoder exp/vocoder_$kind/vocoder --data $data/$t/test --task $task \
        --codec $codec --max-utts $eval_utts --out-dir exp/vocoder_$kind/eval_$t --overwrite $voc_asr
    done
  done
fi

if [ $stage -le 7 ] && [ $stop_stage -ge 7 ]; then
  if [ -f $encoder_init ]; then init="encoder_init=$encoder_init"; else init="encoder_init=null"; fi
  log "stage 7: LauraGPT on SE + TTS ($lm_steps steps, $init)"
  # shellcheck disable=SC2086
  laura train -c $ROOT/recipes/lauragpt-se-tts-mini.yaml exp_dir=exp/lauragpt_se_tts seed=$seed \
    tokenizer.path=exp/bpe $init trainer.max_steps=$lm_steps \
    data.sources.0.train=[$data/se/train] data.sources.0.valid=[$data/se/dev] \
    data.sources.1.train=[$data/tts/train] data.sources.1.valid=[$data/tts/dev] $lm_args
fi

# decode outputs: exp/decode_shipped/ for a shipped LM (../lauragpt/shipped/...), exp/decode_trained/ else
case $lm in *shipped/*) dec=exp/decode_shipped ;; *) dec=exp/decode_trained ;; esac

if [ $stage -le 8 ] && [ $stop_stage -ge 8 ]; then
  for task in SE TTS; do
    t=$(echo $task | tr A-Z a-z)
    log "stage 8: decode $t/test ($decode_utts utterances) with $lm and $vocoder"
    python local/subset_dir.py $data/$t/test data/${t}_test_subset $decode_utts
    # --overwrite: the stage re-decodes; the old outputs stay until the new ones are complete
    laura decode --exp $lm --data data/${t}_test_subset --task $task --vocoder $vocoder \
      --out $dec/${t}_test --overwrite
  done
fi

if [ $stage -le 9 ] && [ $stop_stage -ge 9 ]; then
  asr_opt=""
  [ -f $asr_exp/model.safetensors ] && asr_opt="--asr-exp $asr_exp"
  for task in SE TTS; do
    t=$(echo $task | tr A-Z a-z)
    log "stage 9: score $t outputs"
    # shellcheck disable=SC2086
    by=lang; [ $task = SE ] && by=snr
    laura score --task $task --decode $dec/${t}_test --data data/${t}_test_subset --by $by \
      $asr_opt --label "$lm" --overwrite | tee $dec/${t}_test/RESULTS.md
  done
fi
