#!/usr/bin/env bash
# slurp as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/slurp.py).
set -euo pipefail
. ./db.sh
laura prepare slurp --src "$SLURP" --out data 
