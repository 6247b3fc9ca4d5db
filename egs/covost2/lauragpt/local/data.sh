#!/usr/bin/env bash
# covost2 as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/covost2.py).
set -euo pipefail
. ./db.sh
laura prepare covost2 --src "$COVOST2" --out data 
