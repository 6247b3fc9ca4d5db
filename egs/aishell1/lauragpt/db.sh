# Where the corpus was extracted, in its original layout (edit or export before running).
export AISHELL1=${AISHELL1:-/data/corpora/aishell1}
