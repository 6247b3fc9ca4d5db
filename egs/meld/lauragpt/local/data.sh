#!/usr/bin/env bash
# meld as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/meld.py).
set -euo pipefail
. ./db.sh
laura prepare meld --src "$MELD" --out data 
