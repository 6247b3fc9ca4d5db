#!/usr/bin/env bash
# aishell2 as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/aishell2.py).
set -euo pipefail
. ./db.sh
laura prepare aishell2 --src "$AISHELL2" --out data 
