# Where the corpus was extracted, in its original layout (edit or export before running).
export CLOTHO=${CLOTHO:-/data/corpora/clotho}
