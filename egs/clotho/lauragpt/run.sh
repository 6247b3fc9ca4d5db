#!/usr/bin/env bash
# LauraGPT AAC on clotho (paper Table 6). Options: see ../../TEMPLATE/lauragpt.sh.
set -euo pipefail
cd "$(dirname "$0")"
../../TEMPLATE/lauragpt.sh --task AAC --config ../../../recipes/lauragpt-2b.yaml \
  --train-sets "development" --valid-set "validation" --test-sets "evaluation" "$@"
