# Where the corpus was extracted, in its original layout (edit or export before running).
export AISHELL2=${AISHELL2:-/data/corpora/aishell2}
