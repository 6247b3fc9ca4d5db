"""Text normalisation for WER/CER scoring. Reference and hypothesis go through the same steps.

Common steps (every language):

1. Unicode NFKC, so full-width Latin letters/digits and full-width punctuation become their
   ASCII forms (`ＡＢＣ１` -> `ABC1`, `，` -> `,`); then lower-case. Curly apostrophes
   (U+2019, U+02BC) become `'`.
2. Punctuation and symbols (anything that is not a letter, digit or combining mark) separate
   tokens and are dropped: `hello,world` -> `hello world`, `twenty-one` -> `twenty one`,
   `3.5` -> `3 5`. An apostrophe is kept only *inside* a word (`don't`, `rock'n'roll`); leading
   and trailing apostrophes are quotes and are dropped.

English (`lang="en"`, and any language other than the ones below): tokens are words, i.e. the
runs of letters/digits left after step 2 (whitespace collapsed).

Chinese (`lang="zh"`, also `yue`, `ja` and `zh-*`): scored by character. Whitespace and
punctuation (ASCII and CJK: `，。？！、：；“”‘’（）《》` ...) are removed; every CJK ideograph (and
Japanese kana) is one token; a run of Latin letters/digits embedded in the text (`我用iPhone15拍照`)
is one token (`iphone15`), so mixed zh/en text is scored per character for Chinese and per
word for English, as WeNet/FunASR do.

`lang=None` or `"auto"`: `detect_lang` picks per text: `zh` if it contains any CJK ideograph,
else `en`.
"""

from __future__ import annotations

import unicodedata

__all__ = ["CHAR_LANGS", "detect_lang", "is_cjk", "is_char_lang", "normalize"]

CHAR_LANGS = frozenset({"zh", "yue", "ja", "cmn"})

# CJK ideographs: URO, Ext A, compatibility, Ext B-G and the supplementary compatibility block.
_HAN_RANGES = (
    (0x3007, 0x3007),  # 〇 (ideographic zero)
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2EBEF),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x323AF),
)
# Scored per character in char mode too, but not a sign of Chinese for detect_lang.
_KANA_RANGES = ((0x3040, 0x309F), (0x30A0, 0x30FF), (0x31F0, 0x31FF))


def _in(ranges: tuple[tuple[int, int], ...], ch: str) -> bool:
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in ranges)


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (Han character)."""
    return _in(_HAN_RANGES, ch)


def _is_char_token(ch: str) -> bool:
    return _in(_HAN_RANGES, ch) or _in(_KANA_RANGES, ch)


def _is_word_char(ch: str) -> bool:
    # letters, digits, and combining marks (so e.g. Devanagari vowel signs stay in the word)
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def detect_lang(text: str) -> str:
    """`"zh"` if the text holds any CJK ideograph, else `"en"`."""
    return "zh" if any(is_cjk(ch) for ch in text) else "en"


def is_char_lang(lang: str) -> bool:
    """True if `lang` is scored per character (`zh`, `zh-CN`, `yue`, `ja`, ...)."""
    lang = lang.lower()
    return lang in CHAR_LANGS or lang.startswith("zh-") or lang.startswith("zh_")


def _tokenize(text: str, split_chars: bool) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u02bc", "'")
    tokens: list[str] = []
    cur: list[str] = []

    def flush() -> None:
        if cur:
            tokens.append("".join(cur))
            cur.clear()

    n = len(text)
    for i, ch in enumerate(text):
        if split_chars and _is_char_token(ch):
            flush()
            tokens.append(ch)
        elif _is_word_char(ch):
            cur.append(ch)
        elif (
            ch == "'"
            and cur
            and i + 1 < n
            and _is_word_char(text[i + 1])
            and not (split_chars and _is_char_token(text[i + 1]))
        ):
            cur.append(ch)  # apostrophe inside a word: don't, rock'n'roll
        else:
            flush()  # whitespace, punctuation, symbols
    flush()
    return tokens


def normalize(text: str, lang: str | None = None) -> list[str]:
    """Normalise `text` and split it into scoring tokens (see the module docstring).

    `lang`: `"en"` (or any word-level language), `"zh"` (char-level), or None/`"auto"` to detect.
    """
    if lang is None or lang == "auto":
        lang = detect_lang(text)
    return _tokenize(text, split_chars=is_char_lang(lang))
