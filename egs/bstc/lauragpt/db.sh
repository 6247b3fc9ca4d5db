# Where the corpus was extracted, in its original layout (edit or export before running).
export BSTC=${BSTC:-/data/corpora/bstc}
