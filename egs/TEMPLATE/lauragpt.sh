#!/usr/bin/env bash
# The shared stage script of laura recipes (ESPnet asr.sh style). A corpus recipe's run.sh sets
# its corpus, task and splits and calls this script; every variable below is an option
# (--name value).
#
#   stage 1: data preparation: local/data.sh (corpus as distributed -> Kaldi dirs in data/)
#   stage 2: validation of every data dir (all problems, with file and line), manifests
#   stage 3: codec tokens of audio targets (SE, TTS) into <dir>/codec_tokens/<field>
#   stage 4: training (laura train -c $config + overrides) -> exp/$exp_name
#   stage 5: decoding of the test sets -> exp/$exp_name/decode_<set>
#   stage 6: scoring with the task's metric -> exp/$exp_name/decode_<set>/{scores.json,RESULTS.md}
set -euo pipefail

stage=1
stop_stage=6
task=ASR                 # the laura task (ASR, S2TT, SLU, SER, AAC, SE, TTS)
train_sets=""            # data dirs under data/, space separated
valid_set=""
test_sets=""
config=""                # experiment YAML (e.g. ../../../recipes/lauragpt-2b.yaml)
exp_name=""
train_args=""            # extra key=value overrides for laura train
decode_args=""           # extra key=value overrides for laura decode
score_by=lang            # groups of the score table: lang, snr, voice (comma-separated; "" = none)
score_args=""            # more laura score options (e.g. --asr-exp DIR --no-dnsmos; laura score -h)
codec=""                 # codec for stage 3: a laura codec dir or a FunCodec model dir
codec_n_q=32             # token groups stored (the LM reads group 1, the vocoder the sum of all)
vocoder=""               # SE, TTS: the vocoder dir stage 5 turns output tokens into audio with
ngpu=1

. "$(dirname "${BASH_SOURCE[0]}")/utils/parse_options.sh"

[ -n "$config" ] || { echo "$0: --config is required" >&2; exit 1; }
[ -n "$train_sets" ] || { echo "$0: --train-sets is required" >&2; exit 1; }
exp_name=${exp_name:-$(basename "$config" .yaml)_$(echo "$task" | tr 'A-Z' 'a-z')}
log() { echo -e "\n[$(date +%H:%M:%S)] $*"; }
list() { local out=""; for s in "$@"; do out+="${out:+,}data/$s"; done; echo "[$out]"; }

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "stage 1: data preparation"
  ./local/data.sh
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  log "stage 2: validate data dirs"
  for s in $train_sets $valid_set $test_sets; do
    laura validate-data --header-only "data/$s"
    laura make-manifest "data/$s"
  done
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  case $task in
    SE|TTS)
      if [ -z "$codec" ]; then
        echo "$0: task $task needs codec tokens: pass --codec (a laura codec dir or a FunCodec model dir)" >&2; exit 1
      fi
      field=audio; [ "$task" = SE ] && field=clean
      log "stage 3: codec tokens of '$field' ($codec, $codec_n_q groups)"
      # shellcheck disable=SC2086
      laura codec-tokens --codec "$codec" --field $field --n-q $codec_n_q \
        --data $(for s in $train_sets $valid_set $test_sets; do echo data/$s; done) ;;
    *) log "stage 3: no audio targets for $task, nothing to do" ;;
  esac
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  log "stage 4: train $exp_name"
  # shellcheck disable=SC2086
  laura train -c "$config" exp_dir=exp/$exp_name data.task=$task \
    data.train="$(list $train_sets)" data.valid="$(list $valid_set)" trainer.devices=$ngpu $train_args
fi

if [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
  audio_out=""
  case $task in
    SE|TTS)
      if [ -z "$vocoder" ]; then
        echo "$0: task $task writes audio: pass --vocoder (a vocoder dir, e.g. exp/vocoder/vocoder)" >&2; exit 1
      fi
      audio_out="--vocoder $vocoder" ;;
  esac
  for s in $test_sets; do
    log "stage 5: decode $s"
    # shellcheck disable=SC2086
    laura decode --exp exp/$exp_name --data data/$s --task $task --out exp/$exp_name/decode_$s \
      --overwrite $audio_out $decode_args
  done
fi

if [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then
  for s in $test_sets; do
    d=exp/$exp_name/decode_$s
    log "stage 6: score $s"
    # shellcheck disable=SC2086
    laura score --task $task --decode $d --data data/$s --by "$score_by" --label $exp_name \
      --overwrite $score_args | tee $d/RESULTS.md
  done
fi
