# Where the corpus was extracted, in its original layout (edit or export before running).
export COVOST2=${COVOST2:-/data/corpora/covost2}
