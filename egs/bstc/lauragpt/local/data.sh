#!/usr/bin/env bash
# bstc as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/bstc.py).
set -euo pipefail
. ./db.sh
laura prepare bstc --src "$BSTC" --out data 
