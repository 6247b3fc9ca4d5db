"""Speech emotion recognition (SER) labels: the unified label vocabulary, every SER corpus's
labels mapped onto it, and the test-time merge the SER score uses.

Task-level data, not a corpus: the SER corpus modules (``laura/data/corpora/``) write
``utt2emotion`` through ``unify``; ``eval_class`` is the merge an SER score applies to
references and hypotheses at test time.

LauraGPT (appendix A.5) unifies the labels of its SER training corpora into nine classes --
anger, disgust, neutral, like, sadness, surprise, happiness, joy, fear (``SER_CLASSES``)
-- and at test time counts *like* and *happiness* as *joy* to match the MELD test set
(``eval_class``). The nine classes are the NLPCC Weibo emotion set (anger, disgust, fear,
happiness, like, sadness, surprise, none=neutral) plus MELD's *joy*; none of the English
corpora below has a *like* label, so nothing maps onto it.

The paper does not publish its per-corpus mapping; this is laura's, one row per corpus
(original label -> unified class; "-" = dropped, counted and listed in ``<split>/skipped.tsv``):

=========  ===================================================================================
corpus     mapping
=========  ===================================================================================
MELD       anger->anger, disgust->disgust, fear->fear, joy->joy, neutral->neutral,
           sadness->sadness, surprise->surprise (MELD is the test set: identity)
IEMOCAP    ang->anger, dis->disgust, fea->fear, hap->happiness, exc->happiness (the usual
           happy+excited merge), neu->neutral, sad->sadness, sur->surprise;
           fru (frustration) -, oth (other) -, xxx (no majority) -
RAVDESS    neutral->neutral, calm->neutral (low-arousal neutral; the label is kept in
           utt2emotion_orig), happy->happiness, sad->sadness, angry->anger, fearful->fear,
           disgust->disgust, surprised->surprise
TESS       angry->anger, disgust->disgust, fear->fear, happy->happiness, neutral->neutral,
           ps (pleasant surprise)->surprise, sad->sadness
CREMA-D    ANG->anger, DIS->disgust, FEA->fear, HAP->happiness, NEU->neutral, SAD->sadness
SAVEE      a->anger, d->disgust, f->fear, h->happiness, n->neutral, sa->sadness, su->surprise
EmoV-DB    amused->happiness (amusement is positive, high arousal, like the acted "happy"
           classes), anger->anger, disgust->disgust, neutral->neutral, sleepiness -
           (sleepiness is not an emotion of the nine; ``prepare(..., sleepy="neutral")``
           maps it to neutral instead)
=========  ===================================================================================

Acted "happy" labels go to *happiness*, MELD's conversational *joy* stays *joy*: the model
sees the distinction in training, and ``eval_class`` merges them for MELD scoring.
``utt2emotion_orig`` always keeps the corpus's own label (the code as the corpus documents it:
``exc``, ``ps``, ``ANG``, ``sa``, ``calm``, ``sleepiness``).
"""

from __future__ import annotations

# The paper's nine SER classes (A.2); at MELD test time like and happiness count as joy.
SER_CLASSES: tuple[str, ...] = (
    "anger",
    "disgust",
    "neutral",
    "like",
    "sadness",
    "surprise",
    "happiness",
    "joy",
    "fear",
)

# corpus -> {original label -> unified class, or None: dropped on purpose}
LABEL_MAPS: dict[str, dict[str, str | None]] = {
    "meld": {
        "anger": "anger",
        "disgust": "disgust",
        "fear": "fear",
        "joy": "joy",
        "neutral": "neutral",
        "sadness": "sadness",
        "surprise": "surprise",
    },
    "iemocap": {
        "ang": "anger",
        "dis": "disgust",
        "fea": "fear",
        "hap": "happiness",
        "exc": "happiness",
        "neu": "neutral",
        "sad": "sadness",
        "sur": "surprise",
        "fru": None,
        "oth": None,
        "xxx": None,
    },
    "ravdess": {
        "neutral": "neutral",
        "calm": "neutral",
        "happy": "happiness",
        "sad": "sadness",
        "angry": "anger",
        "fearful": "fear",
        "disgust": "disgust",
        "surprised": "surprise",
    },
    "tess": {
        "angry": "anger",
        "disgust": "disgust",
        "fear": "fear",
        "happy": "happiness",
        "neutral": "neutral",
        "ps": "surprise",
        "sad": "sadness",
    },
    "crema_d": {
        "ANG": "anger",
        "DIS": "disgust",
        "FEA": "fear",
        "HAP": "happiness",
        "NEU": "neutral",
        "SAD": "sadness",
    },
    "savee": {
        "a": "anger",
        "d": "disgust",
        "f": "fear",
        "h": "happiness",
        "n": "neutral",
        "sa": "sadness",
        "su": "surprise",
    },
    "emovdb": {
        "amused": "happiness",
        "anger": "anger",
        "disgust": "disgust",
        "neutral": "neutral",
        "sleepiness": None,
    },
}

# Test-time merge (paper A.5): like and happiness count as joy on MELD.
EVAL_MERGE: dict[str, str] = {"like": "joy", "happiness": "joy"}
# The seven MELD classes the merged labels fall into.
EVAL_CLASSES: tuple[str, ...] = tuple(c for c in SER_CLASSES if c not in EVAL_MERGE)

for _corpus, _table in LABEL_MAPS.items():  # keep the table honest
    for _orig, _cls in _table.items():
        assert _cls is None or _cls in SER_CLASSES, (_corpus, _orig, _cls)


def unify(corpus: str, label: str) -> str | None:
    """The unified class of ``label`` in ``corpus``, or None when it has none (drop it)."""
    return LABEL_MAPS[corpus].get(label)


def eval_class(label: str) -> str:
    """Map a unified (or predicted) label to the MELD scoring classes: like/happiness -> joy."""
    label = label.strip().lower()
    return EVAL_MERGE.get(label, label)
