#!/usr/bin/env bash
# The mini LauraGPT recipe: one model for ASR (en, zh), S2TT (en->zh, zh->en), SLU, SER, AAC, SE
# and TTS, offline on a CPU, scored as the paper scores each task (what `make demo` runs).
#
#   stage 1: synthesise the mini corpus (espeak-ng voices, sox scenes; every task) -> data/mini
#   stage 2: validate the data dirs and write their manifests
#   stage 3: every task's text; BPE tokenizers (LM: all of it; CTC: the ASR transcripts) -> exp/text, exp/bpe*
#   stage 4: codec tokens of SE's clean and TTS's speech (32 groups, the plain mini codec) -> data/mini/*/codec_tokens
#   stage 5: [train] a text LM on every task's text (the stand-in for Qwen)        -> exp/text_lm
#   stage 6: [train] CTC pre-training of the Conformer encoder                      -> exp/encoder_ctc
#   stage 7: [train] the one-step vocoder                                          -> exp/vocoder
#   stage 8: [train] LauraGPT: ASR alone (stage 0: the LM learns to read its inputs), then the
#            paper's three stages (all tasks; the small ones; all again) -> exp/lauragpt_stage{0,1,2,3}
#            [shipped] a short continuation of the shipped model on every task   -> exp/lauragpt_continued
#   stage 9: decode every task's held-out test split (unseen sentences and voices), and the
#            chained tasks S2ST (S2TT -> TTS, personalised: the source speech as the voice prompt)
#            and SE -> ASR                                                     -> exp/decode_<model>/<task>
#   stage 10: trivial baselines (empty output, majority class, best constant output, the noisy
#            input) in the same run; score everything; the vocoder from the true tokens of the SE
#            and TTS test utterances (the audio path's bound); the Table-1-shaped summary
#            -> exp/decode_<model>/RESULTS.md
#   stage 11 (explicit): ship the trained model, vocoder and tokenizer (fp16)     -> shipped/ (committed)
#
# --model shipped (make demo): stages 5-7 are skipped and stage 8 only continues the shipped model
# for --continue-steps (the user sees the training stage run; decoding uses the shipped model).
# --model trained (make demo FULL=1): stages 5-8 train everything from scratch (hours on 2 cores:
# RESULTS.md has the times).
#
# Usage: ./run.sh [--stage N] [--stop-stage N] [--model shipped|trained] [--size demo|test] ...
set -euo pipefail
cd "$(dirname "$0")"
. ../paths.sh  # locations shared by the mini recipes: ROOT, MINI_CORPUS, MINI_LM_CODEC, ...

stage=1
stop_stage=10
model=shipped          # shipped: decode the committed model (shipped/); trained: train stages 5-8 first
size=demo              # mini corpus size (demo | test)
tasks=asr,s2tt,slu,ser,aac,se,tts  # mini corpus tasks
seed=0
nj=2                   # parallel jobs for data generation
codec=$MINI_LM_CODEC   # ../se_tts/shipped/codec: the plain mini codec; its first group is the LM's audio vocabulary
bpe_size=1500          # LauraGPT text vocabulary (English and Chinese words and subwords, SLU labels, captions)
ctc_bpe_size=500       # CTC targets: mostly letters and characters (word-sized units train CTC far slower)
text_lm_steps=1000     # text LM pre-training steps (about 20 passes over the 18,700 training lines)
ctc_steps=3000         # CTC pre-training steps of the encoder
vocoder_steps=1200     # one-step vocoder steps
stage_steps=1500,12000,3000,5000  # LauraGPT steps of stage 0 (ASR) and the paper's three stages
continue_steps=100     # --model shipped: steps of the continuation stage (0: skip it)
continue_utts=300      # --model shipped: training utterances per task the continuation reads
test_utts=0            # test utterances decoded per text-output task (0: the whole test split)
audio_utts=60          # test utterances decoded per audio-output task (SE, TTS) and chain (0: all)
threads=2              # torch threads for training and decoding
train_args=""          # more key=value overrides for the LauraGPT trainings
tag=""                 # suffix for the decode dir (exp/decode_<model><tag>)

. ../../TEMPLATE/utils/parse_options.sh

data=$(from_here $MINI_CORPUS)  # data/mini
exp=exp
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=$threads
log() { echo -e "\n[$(date +%H:%M:%S)] $*"; }
upper() { echo "$1" | tr a-z A-Z; }
task_of() { case $1 in s2st-personal) echo S2ST-personal ;; *) upper "$1" ;; esac; }  # dir -> task
IFS=, read -r steps0 steps1 steps2 steps3 <<<"$stage_steps"
declare -A train_dir  # task -> the training data dir stage 8 reads

case $model in
  shipped) bpe=shipped/bpe; lm=shipped/lauragpt; vocoder=shipped/vocoder ;;
  trained) bpe=$exp/bpe; lm=$exp/lauragpt_stage3; vocoder=$exp/vocoder/vocoder ;;
  *) echo "$0: --model shipped|trained, not '$model'" >&2; exit 1 ;;
esac
dec=$exp/decode_${model}${tag}
text_tasks="asr s2tt slu ser aac"
all_tasks="asr s2tt slu ser aac se tts"

if [ $stage -le 1 ] && [ $stop_stage -ge 1 ]; then
  log "stage 1: mini corpus (size=$size, seed=$seed, tasks $tasks)"
  laura mini-corpus --out $data --size $size --seed $seed --num-workers $nj --tasks $tasks
fi

if [ $stage -le 2 ] && [ $stop_stage -ge 2 ]; then
  log "stage 2: validate the data dirs, write their manifests"
  for t in $all_tasks; do
    notext=""; [ $t = aac ] && notext=--no-text  # scenes: captions, no transcript
    laura validate-data $notext $data/$t/train $data/$t/dev $data/$t/test
    laura make-manifest $data/$t/train $data/$t/dev $data/$t/test
  done
fi

if [ $stage -le 3 ] && [ $stop_stage -ge 3 ]; then
  log "stage 3: every task's text -> $exp/text; BPE tokenizers"
  for t in $text_tasks; do
    for s in train dev test; do
      laura task-text --task $(upper $t) --data $data/$t/$s --out $exp/text/${t}_$s
    done
  done
  if [ $model = trained ]; then  # (the shipped model brings its tokenizer)
    laura train-tokenizer --text $exp/text/{asr,s2tt,slu,ser,aac}_train --vocab-size $bpe_size --out $exp/bpe
    laura train-tokenizer --text $data/asr/train/text --vocab-size $ctc_bpe_size --out $exp/bpe_ctc
  fi
fi

subset() {  # subset SRC DST N: N utterances spread over SRC (0: all), the token cache linked
  laura subset-data "$1" "$2" --n "$3" >/dev/null
}
# --model shipped continues on a training subset per task (what stage 8 reads)
for t in $all_tasks; do train_dir[$t]=$data/$t/train; done
if [ $model = shipped ]; then
  for t in $all_tasks; do train_dir[$t]=$exp/train_subset/$t; done
fi

if [ $stage -le 4 ] && [ $stop_stage -ge 4 ]; then
  if [ $model = trained ]; then
    log "stage 4: codec tokens (32 groups: the vocoder's targets) with $codec"
    laura codec-tokens --codec $codec --field clean --n-q 32 --data $data/se/{train,dev,test}
    laura codec-tokens --codec $codec --field audio --n-q 32 --data $data/tts/{train,dev,test}
  else
    log "stage 4: training subsets ($continue_utts utterances per task); codec tokens with $codec"
    first_group() {  # first_group FIELD DIR...: the LM's tokens (a cache with more groups serves too)
      local field=$1 d info; shift
      for d in "$@"; do
        info=$d/codec_tokens/$field/info.json
        [ -f $info ] && grep -q '"n_q": 32' $info && continue  # made by --model trained
        laura codec-tokens --codec $codec --field $field --n-q 1 --data $d
      done
    }
    # the LM's first group of the whole training splits (about a minute), which the subsets link:
    # TTS's voice prompts (utt2prompt) are other training utterances, mostly outside the subset
    first_group clean $data/se/train
    first_group audio $data/tts/train
    for t in $all_tasks; do
      [ -L ${train_dir[$t]}/codec_tokens ] || rm -rf ${train_dir[$t]}/codec_tokens  # an older run's cache of the subset alone
      subset $data/$t/train ${train_dir[$t]} $continue_utts
    done
    first_group clean $data/se/dev
    first_group audio $data/tts/dev
    # the test splits' with all 32 groups (stage 10 scores the vocoder from true tokens on them;
    # a first-group cache of an earlier run is replaced)
    for d in "clean $data/se/test" "audio $data/tts/test"; do
      set -- $d
      grep -qs '"n_q": 32' $2/codec_tokens/$1/info.json ||
        laura codec-tokens --codec $codec --field $1 --n-q 32 --data $2 --overwrite
    done
  fi
fi

if [ $model = trained ] && [ $stage -le 5 ] && [ $stop_stage -ge 5 ]; then
  log "stage 5: text LM on every task's text ($text_lm_steps steps)"
  laura train -c $ROOT/recipes/text-lm-mini.yaml exp_dir=$exp/text_lm tokenizer.path=$bpe seed=$seed \
    "data.train=[$(echo $exp/text/{asr,s2tt,slu,ser,aac}_train | tr ' ' ,)]" \
    "data.valid=[$(echo $exp/text/{asr,s2tt,slu,ser,aac}_dev | tr ' ' ,)]" \
    trainer.max_steps=$text_lm_steps
fi

if [ $model = trained ] && [ $stage -le 6 ] && [ $stop_stage -ge 6 ]; then
  log "stage 6: CTC pre-training of the encoder ($ctc_steps steps)"
  laura train -c $ROOT/recipes/encoder-ctc-mini.yaml exp_dir=$exp/encoder_ctc tokenizer.path=$exp/bpe_ctc \
    data.train=[$data/asr/train] data.valid=[$data/asr/dev] seed=$seed trainer.max_steps=$ctc_steps
fi

if [ $model = trained ] && [ $stage -le 7 ] && [ $stop_stage -ge 7 ]; then
  log "stage 7: one-step vocoder ($vocoder_steps steps)"
  laura train -c $ROOT/recipes/vocoder-mini.yaml exp_dir=$exp/vocoder codec=$codec tokenizer.path=$bpe \
    data.sources.0.train=[$data/se/train] data.sources.0.valid=[$data/se/dev] \
    data.sources.1.train=[$data/tts/train] data.sources.1.valid=[$data/tts/dev] \
    seed=$seed trainer.max_steps=$vocoder_steps
fi

if [ $stage -le 8 ] && [ $stop_stage -ge 8 ]; then
  if [ $model = trained ]; then
    for n in 0 1 2 3; do
      steps=$(eval echo \$steps$n)
      log "stage 8: LauraGPT training stage $n of 0-3 ($steps steps; recipes/lauragpt-mini-multitask-stage$n.yaml)"
      # shellcheck disable=SC2086
      laura train -c $ROOT/recipes/lauragpt-mini-multitask-stage$n.yaml seed=$seed \
        trainer.max_steps=$steps $train_args
    done
  elif [ "$continue_steps" -gt 0 ]; then
    log "stage 8: continue the shipped model on every task ($continue_steps steps)"
    # shellcheck disable=SC2086
    sources=""  # the config's sources, in its order (ASR S2TT SLU SER AAC SE TTS), on the subsets
    i=0; for t in asr s2tt slu ser aac se tts; do sources+=" data.sources.$i.train=[${train_dir[$t]}]"; i=$((i + 1)); done
    # shellcheck disable=SC2086
    laura train -c $ROOT/recipes/lauragpt-mini-multitask-stage3.yaml seed=$seed $sources \
      exp_dir=$exp/lauragpt_continued init_from=$lm/model.safetensors tokenizer.path=$bpe \
      trainer.max_steps=$continue_steps trainer.val_check_interval=$continue_steps \
      optim.warmup_steps=$((continue_steps / 5 + 1)) $train_args
  fi
fi

if [ $stage -le 9 ] && [ $stop_stage -ge 9 ]; then
  for t in $text_tasks; do
    T=$(upper $t)
    log "stage 9: decode $t/test ($T) with $lm"
    subset $data/$t/test $dec/data/$t $test_utts
    laura decode --exp $lm --data $dec/data/$t --task $T --out $dec/$t --overwrite --skip-done
  done
  for t in se tts; do
    T=$(upper $t)
    log "stage 9: decode $t/test ($T) with $lm and $vocoder"
    subset $data/$t/test $dec/data/$t $audio_utts
    laura decode --exp $lm --data $dec/data/$t --task $T --vocoder $vocoder --out $dec/$t --overwrite --skip-done
  done
  subset $data/s2tt/test $dec/data/s2st $audio_utts
  for c in s2st s2st-personal se-asr; do
    chain=$(task_of $c)
    src=s2st; [ $c = se-asr ] && src=se
    log "stage 9: decode the chain $chain on $src/test with $lm"
    laura decode --exp $lm --data $dec/data/$src --task $chain --vocoder $vocoder \
      --out $dec/$c --overwrite --skip-done
  done
fi

if [ $stage -le 10 ] && [ $stop_stage -ge 10 ]; then
  log "stage 10: baselines, scores, the summary table"
  for t in $text_tasks; do
    T=$(upper $t)
    laura baseline --task $T --train $data/$t/train --dev $data/$t/dev --data $dec/data/$t \
      --out $dec/baseline_$t --overwrite --skip-done
  done
  by() { case $1 in asr|tts|s2tt|s2st*) echo lang,voice ;; se|se-asr) echo snr,lang,voice ;; aac) echo "" ;; *) echo voice ;; esac; }
  for d in $all_tasks s2st s2st-personal se-asr baseline_asr baseline_s2tt baseline_slu baseline_ser baseline_aac; do
    t=${d#baseline_}
    src=$t; case $t in s2st*) src=s2st ;; se-asr) src=se ;; esac
    # speech outputs: WER/CER by laura's ASR (Table 1 does not read pocketsphinx's); DNSMOS (2 s
    # a clip on 2 cores) only where Table 1 shows it, TTS
    audio=""
    case $t in
      tts) audio="--asr-exp $lm --no-pocketsphinx" ;;
      se|s2st*|se-asr) audio="--asr-exp $lm --no-pocketsphinx --no-dnsmos" ;;
    esac
    log "stage 10: score $d"
    # shellcheck disable=SC2046,SC2086
    laura score --task $(task_of $t) --decode $dec/$d --data $dec/data/$src --by "$(by $t)" \
      --speakers $data/speakers.tsv --label $d $audio --overwrite --skip-done --out $dec/$d/scores.json
  done
  for t in se tts; do
    log "stage 10: the vocoder from the true first-group tokens on $t (what the audio path allows)"
    laura vocoder-eval --vocoder $vocoder --data $dec/data/$t --task $(upper $t) --asr-exp $lm \
      --out-dir $dec/vocoder_$t --pictures 2 --overwrite --skip-done
  done
  python local/table1.py --decode $dec --label "$lm" | tee $dec/RESULTS.md
fi

if [ $stage -le 11 ] && [ $stop_stage -ge 11 ]; then
  log "stage 11: ship $exp/lauragpt_stage3, $exp/vocoder and $exp/bpe -> shipped/"
  rm -rf shipped/bpe && mkdir -p shipped && cp -r $exp/bpe shipped/bpe
  laura export --fp16 $exp/vocoder/vocoder shipped/vocoder --overwrite --codec $codec --tokenizer shipped/bpe \
    --info trained_steps=$vocoder_steps \
    command="cd egs/mini/lauragpt && ./run.sh --model trained --stage 7 --stop-stage 7"
  laura export --fp16 $exp/lauragpt_stage3 shipped/lauragpt --overwrite --tokenizer shipped/bpe \
    --info trained_steps=$stage_steps \
    command="cd egs/mini/lauragpt && ./run.sh --model trained --stop-stage 8 --stage-steps $stage_steps"
  du -h shipped/*/*
fi
