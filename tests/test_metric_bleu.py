"""BLEU/chrF of S2TT decodes (laura.metrics.bleu) through the one scoring path: values by hand,
equal to the sacrebleu command line, one column pair per output language, bad input counted or
refused."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import scoring_dirs, write_rows

from laura.errors import DataError
from laura.metrics.bleu import bleu_tokenizer, corpus_scores, output_lang
from laura.metrics.scoring import format_table, score

SACREBLEU = Path(sys.executable).parent / "sacrebleu"


def _s2tt(
    tmp_path: Path, pairs: dict[str, tuple[str, str, str]], hyps: dict[str, str]
) -> tuple[Path, Path]:
    """A data dir (utterance -> (source lang, text.en, text.zh)) and a decode dir whose ``ref``
    is each utterance's translation (the side that is not its source) and ``hyp`` is ``hyps``."""
    tables = {
        "utt2lang": {u: p[0] for u, p in pairs.items()},
        "text.en": {u: p[1] for u, p in pairs.items()},
        "text.zh": {u: p[2] for u, p in pairs.items()},
    }
    refs = {u: p[2] if p[0] == "en" else p[1] for u, p in pairs.items()}
    return scoring_dirs(tmp_path, tables, refs, hyps)


def _groups(res: dict) -> dict[str, dict]:
    return {g["group"].get("lang", "all"): g["scores"] for g in res["groups"]}


def test_tokenizer_and_output_language() -> None:
    assert bleu_tokenizer("zh") == bleu_tokenizer("zh-CN") == "zh"
    assert bleu_tokenizer("en") == bleu_tokenizer("de") == "13a"
    rec = {"id": "u", "lang": "en", "text": "hi", "text_en": "hi", "text_zh": "你好"}
    assert output_lang(rec) == "zh"
    assert output_lang({**rec, "lang": "zh", "text": "你好"}) == "en"
    with pytest.raises(ValueError, match="no translation"):
        output_lang({"id": "u", "lang": "en", "text_en": "hi"})


def test_bleu_by_hand_for_both_tokenizers() -> None:
    # 13a, one word differs at the end of 6 words; matched/total n-grams:
    #   1-grams 5/6, 2-grams 4/5, 3-grams 3/4, 4-grams 2/3; equal lengths -> BP = 1
    #   BLEU = 100 * (5/6 * 4/5 * 3/4 * 2/3) ** (1/4) = 100 * (1/3) ** 0.25 = 75.9836
    r = corpus_scores(["the cat sat on the mat"], ["the cat sat on the rug"], "en")
    assert r["tokenize"] == "13a"
    assert r["bleu"] == pytest.approx(100 * (1 / 3) ** 0.25, abs=1e-4)
    assert r["precisions"] == pytest.approx([500 / 6, 80, 75, 200 / 3])
    # zh: every character a token; 7 characters, the last differs:
    #   6/7, 5/6, 4/5, 3/4 -> product 3/7; BLEU = 100 * (3/7) ** 0.25 = 80.9107
    r = corpus_scores(["我喜欢这只小猫"], ["我喜欢这只小狗"], "zh")
    assert r["tokenize"] == "zh" and (r["sys_len"], r["ref_len"]) == (7, 7)
    assert r["bleu"] == pytest.approx(100 * (3 / 7) ** 0.25, abs=1e-4)
    # the same characters through 13a are a single "word": no 1-gram matches at all
    assert corpus_scores(["我喜欢这只小猫"], ["我喜欢这只小狗"], "en")["bleu"] < 1
    # chrF of an exact match is 100, of nothing in common 0
    assert corpus_scores(["a b"], ["a b"], "en")["chrf"] == pytest.approx(100)
    assert corpus_scores(["abc"], ["xyz"], "en")["chrf"] == pytest.approx(0)


PAIRS = {
    # English speech -> Chinese text, Mandarin speech -> English text
    "e1": ("en", "i like this little cat", "我喜欢这只小猫"),
    "z1": ("zh", "the cat sat on the mat", "猫坐在垫子上"),
}


def test_groups_by_source_language_and_columns_by_output_language(tmp_path) -> None:
    dec, data = _s2tt(tmp_path, PAIRS, {"e1": "我喜欢这只小狗", "z1": "the cat sat on the rug"})
    res = score(dec, data, "S2TT", by=["lang"], label="m")
    assert res["metric"] == "bleu"
    rows = _groups(res)
    assert list(rows) == ["all", "en", "zh"]
    to_zh, to_en = 100 * (3 / 7) ** 0.25, 100 * (1 / 3) ** 0.25  # as by hand above
    en, zh, both = rows["en"], rows["zh"], rows["all"]
    # the en row (English speech) is the translation into Chinese, and only that
    assert en["bleu_zh"] == pytest.approx(to_zh, abs=1e-4) and "bleu_en" not in en
    assert en["bleu"] == en["bleu_zh"] and en["chrf"] == en["chrf_zh"]
    assert en["output_langs"]["zh"]["tokenize"] == "zh"
    assert zh["bleu_en"] == pytest.approx(to_en, abs=1e-4) and "bleu_zh" not in zh
    assert zh["output_langs"]["en"]["tokenize"] == "13a"
    # the all row: both directions side by side, never one mixed figure
    assert both["bleu_zh"] == en["bleu_zh"] and both["bleu_en"] == zh["bleu_en"]
    assert both["chrf_zh"] == en["chrf_zh"] and both["chrf_en"] == zh["chrf_en"]
    assert both["bleu"] is None and both["chrf"] is None
    assert both["n_missing"] == both["n_empty"] == 0
    lines = format_table(res).splitlines()
    assert lines[0] == (
        "| model | lang | BLEU to en | chrF to en | BLEU to zh | chrF to zh | empty hyps "
        "| missing hyps | utts | loop ratio |"
    )
    assert lines[3].startswith(f"| m | en |  |  | {to_zh:.3f} | ")


def test_missing_hypothesis_is_scored_empty_and_counted(tmp_path) -> None:
    pairs = {
        "e1": ("en", "-", "我喜欢这只小猫"),
        "e2": ("en", "-", "你好世界"),
        "e3": ("en", "-", "再见"),
    }
    # e1 exact, e2 missing from hyp, e3 empty: every hypothesis n-gram matches (precisions 1)
    # but the hypotheses hold 7 of the 13 reference characters: BP = exp(1 - 13/7)
    #   BLEU = 100 * exp(-6/7) = 42.4373
    dec, data = _s2tt(tmp_path, pairs, {"e1": "我喜欢这只小猫", "e3": ""})
    res = score(dec, data, "S2TT")
    (row,) = res["groups"]
    s = row["scores"]
    assert row["n_utts"] == 3  # the missing one is scored, not skipped
    assert s["bleu"] == pytest.approx(100 * math.exp(1 - 13 / 7), abs=1e-4)
    assert s["output_langs"]["zh"]["bp"] == pytest.approx(math.exp(1 - 13 / 7))
    assert (s["n_missing"], s["n_empty"]) == (1, 2)


def _cli(ref: Path, hyp: Path, *args: str) -> float:
    out = subprocess.run(
        [str(SACREBLEU), str(ref), "-i", str(hyp), *args, "-b", "-w", "6"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.strip())


@pytest.mark.skipif(not SACREBLEU.is_file(), reason="no sacrebleu command line in the venv")
def test_equals_the_sacrebleu_command_line_for_both_tokenizers(tmp_path) -> None:
    """Each output language's BLEU (-tok zh / 13a) and chrF equal the sacrebleu CLI on the same
    texts (the decode dir's tables without their ids, in id order)."""
    pairs = {
        "e1": ("en", "-", "今天天气很好，我们去公园散步吧。"),
        "e2": ("en", "-", "他每天早上七点起床。"),
        "e3": ("en", "-", "这本书非常有意思，我已经读了两遍。"),
        "e4": ("en", "-", "请把窗户关上。"),
        "z1": ("zh", "The weather is nice today, let's go for a walk in the park.", "-"),
        "z2": ("zh", "He gets up at seven o'clock every morning.", "-"),
        "z3": ("zh", "This book is very interesting; I have read it twice.", "-"),
        "z4": ("zh", "Please close the window.", "-"),
    }
    hyps = {
        "e1": "今天天气不错，我们去公园走走吧。",
        "e2": "他每天七点起床",
        "e3": "这本书很有意思，我读过两次了。",
        "e4": "",
        "z1": "The weather is good today, let us walk in the park.",
        "z2": "he gets up at 7 every morning.",
        "z3": "This book is really interesting, I read it two times.",
        "z4": "Close the window please.",
    }
    dec, data = _s2tt(tmp_path, pairs, hyps)
    rows = _groups(score(dec, data, "S2TT", by=["lang"]))
    for src, out, tok in (("en", "zh", "zh"), ("zh", "en", "13a")):
        ids = sorted(u for u in pairs if pairs[u][0] == src)
        ref_txt, hyp_txt = tmp_path / f"ref.{out}", tmp_path / f"hyp.{out}"
        ref_txt.write_text("".join(f"{pairs[u][2 if out == 'zh' else 1]}\n" for u in ids))
        hyp_txt.write_text("".join(f"{hyps[u]}\n" for u in ids))
        bleu = _cli(ref_txt, hyp_txt, "-tok", tok)
        chrf = _cli(ref_txt, hyp_txt, "-m", "chrf")
        assert 5 < bleu < 95  # a real test: neither everything nor nothing matches
        for row in (rows[src], rows["all"]):
            assert row[f"bleu_{out}"] == pytest.approx(bleu, abs=1e-4)
            assert row[f"chrf_{out}"] == pytest.approx(chrf, abs=1e-4)


def test_ids_not_in_the_data_dir_are_one_line_errors(tmp_path) -> None:
    dec, data = _s2tt(tmp_path, PAIRS, {"e1": "x", "z1": "y"})
    write_rows(dec / "ref", {"e1": "我喜欢这只小猫", "z1": "the cat", "q9": "stray"})
    with pytest.raises(DataError) as e:
        score(dec, data, "S2TT")
    assert str(e.value) == f"{dec / 'ref'}: 1 utterances not in {data} (e.g. q9)"
    write_rows(dec / "ref", {"e1": "我喜欢这只小猫", "z1": "the cat"})
    write_rows(dec / "hyp", {"e1": "x", "z1": "y", "q9": "stray"})
    with pytest.raises(DataError) as e:
        score(dec, data, "S2TT")
    assert (
        str(e.value) == f"{dec / 'hyp'}: 1 utterances have no reference in {dec / 'ref'} (e.g. q9)"
    )


def test_a_record_without_a_translation_is_a_data_error(tmp_path) -> None:
    dec, data = _s2tt(tmp_path, PAIRS, {"e1": "x", "z1": "y"})
    (data / "text.zh").unlink()  # e1 (English speech) loses its target
    with pytest.raises(DataError, match=r"data: utterance e1: no translation"):
        score(dec, data, "S2TT")
