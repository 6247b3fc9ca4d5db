# Where the corpus was extracted, in its original layout (edit or export before running).
export MELD=${MELD:-/data/corpora/meld}
