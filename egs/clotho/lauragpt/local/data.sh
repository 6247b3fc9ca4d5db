#!/usr/bin/env bash
# clotho as distributed -> Kaldi-style data dirs in data/ (laura/data/corpora/clotho.py).
set -euo pipefail
. ./db.sh
laura prepare clotho --src "$CLOTHO" --out data 
