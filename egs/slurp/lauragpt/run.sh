#!/usr/bin/env bash
# LauraGPT SLU on slurp (paper Table 6). Options: see ../../TEMPLATE/lauragpt.sh.
set -euo pipefail
cd "$(dirname "$0")"
../../TEMPLATE/lauragpt.sh --task SLU --config ../../../recipes/lauragpt-2b.yaml \
  --train-sets "train" --valid-set "devel" --test-sets "test" "$@"
