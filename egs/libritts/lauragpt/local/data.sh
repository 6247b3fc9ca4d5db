#!/usr/bin/env bash
# libritts as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/libritts.py).
set -euo pipefail
. ./db.sh
laura prepare libritts --src "$LIBRITTS" --out data 
