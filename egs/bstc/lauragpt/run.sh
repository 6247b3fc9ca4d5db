#!/usr/bin/env bash
# LauraGPT S2TT on bstc (paper Table 6). Options: see ../../TEMPLATE/lauragpt.sh.
set -euo pipefail
cd "$(dirname "$0")"
../../TEMPLATE/lauragpt.sh --task S2TT --config ../../../recipes/lauragpt-2b.yaml \
  --train-sets "train" --valid-set "dev" --test-sets "test" "$@"
