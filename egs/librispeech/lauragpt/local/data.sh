#!/usr/bin/env bash
# librispeech as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/librispeech.py).
set -euo pipefail
. ./db.sh
laura prepare librispeech --src "$LIBRISPEECH" --out data 
