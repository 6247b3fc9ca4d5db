#!/usr/bin/env bash
# aishell1 as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/aishell1.py).
set -euo pipefail
. ./db.sh
laura prepare aishell1 --src "$AISHELL1" --out data 
