"""Text normalisation and WER/CER scoring."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from laura.bin.score import main
from laura.metrics.text_norm import detect_lang, normalize
from laura.metrics.wer import cer, error_rate, score_pairs, wer


@pytest.mark.parametrize(
    ("text", "lang", "tokens"),
    [
        ("Hello, World!  How ARE you?", "en", ["hello", "world", "how", "are", "you"]),
        (
            "Don't stop -- it's 'quoted' rock'n'roll.",
            "en",
            ["don't", "stop", "it's", "quoted", "rock'n'roll"],
        ),
        ("dogs’ bones, it’s", "en", ["dogs", "bones", "it's"]),
        ("twenty-one\tthings\n", "en", ["twenty", "one", "things"]),
        ("ＦＵＬＬ　ｗｉｄｔｈ１", "en", ["full", "width1"]),
        ("", "en", []),
        ("你好，世界！", "zh", ["你", "好", "世", "界"]),
        ("“今天” 天气（很好）《书》、：；？。", "zh", ["今", "天", "天", "气", "很", "好", "书"]),
        ("我用 iPhone 拍照, OK?", "zh", ["我", "用", "iphone", "拍", "照", "ok"]),
        ("我爱New York", "zh", ["我", "爱", "new", "york"]),
        ("hello 世界", None, ["hello", "世", "界"]),
        ("hello world", "auto", ["hello", "world"]),
    ],
)
def test_normalize(text: str, lang: str | None, tokens: list[str]) -> None:
    assert normalize(text, lang) == tokens


def test_detect_lang() -> None:
    assert detect_lang("今天 hello") == "zh"
    assert detect_lang("Hello, world") == "en"
    assert detect_lang("カタカナ") == "en"  # kana alone is not Chinese
    assert detect_lang("") == "en"


def test_wer_counts_sub_ins_del() -> None:
    refs = ["the cat sat on the mat", "hello world", "good morning"]
    hyps = ["the bat sat on the mat", "hello big world", "good"]
    r = error_rate(refs, hyps, lang="en")
    assert (r["sub"], r["ins"], r["del"]) == (1, 1, 1)
    assert r["errors"] == 3 and r["ref_tokens"] == 10 and r["hits"] == 8
    assert r["rate"] == pytest.approx(0.3)
    assert (r["n_utts"], r["sent_err"], r["ser"]) == (3, 3, 1.0)
    assert r["metric"] == "wer"
    assert wer(refs, hyps) == pytest.approx(0.3)


def test_normalisation_applies_before_scoring() -> None:
    r = error_rate(["Hello, World!"], ["hello world"], lang="en")
    assert r["errors"] == 0 and r["sent_err"] == 0 and r["rate"] == 0.0


def test_cer_chinese() -> None:
    refs = ["今天天气很好。", "我爱北京"]
    hyps = ["今天天汽很好", "我爱北京天安门"]
    r = error_rate(refs, hyps, lang="zh")
    assert (r["sub"], r["ins"], r["del"], r["ref_tokens"]) == (1, 3, 0, 10)
    assert r["metric"] == "cer" and r["sent_err"] == 2
    assert cer(refs, hyps) == pytest.approx(0.4)
    # punctuation and spaces never count as errors
    assert cer(["你好，世界"], ["你 好 世 界 !"]) == 0.0


def test_auto_lang_per_utterance() -> None:
    r = error_rate(["你好世界", "hello world"], ["你好世", "hello word"])
    assert r["metric"] == "mixed"
    assert r["ref_tokens"] == 4 + 2 and (r["del"], r["sub"]) == (1, 1)


def test_empty_reference_edge_cases() -> None:
    r = error_rate(["", "a b"], ["", "a b"], lang="en")
    assert r["rate"] == 0.0 and r["sent_err"] == 0
    r = error_rate(["", "a"], ["x y", "a"], lang="en")
    assert r["ins"] == 2 and r["sent_err"] == 1 and r["rate"] == pytest.approx(2.0)
    r = error_rate(["..."], ["x"], lang="en")  # only punctuation: no reference tokens
    assert r["ref_tokens"] == 0 and math.isinf(r["rate"])
    assert error_rate([], [])["rate"] == 0.0
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        error_rate(["a", "b"], ["a"])


def test_score_pairs_missing_and_extra() -> None:
    refs = {"u1": "a b c", "u2": "d e", "u3": "f"}
    hyps = {"u1": "a b c", "u3": "f", "zz": "extra stuff"}
    r = score_pairs(refs, hyps, lang="en")
    assert r["missing_hyps"] == 1 and r["extra_hyps"] == 1
    assert (r["del"], r["ins"], r["sub"], r["ref_tokens"], r["n_utts"]) == (2, 0, 0, 6, 3)
    assert r["rate"] == pytest.approx(2 / 6)
    assert r["sent_err"] == 1


def test_cli_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = tmp_path / "text"
    hyp = tmp_path / "hyp.txt"
    ref.write_text("u1 今天天气很好\nu2 你好世界\nu3 再见\n", encoding="utf-8")
    hyp.write_text("u1 今天天汽很好\nu2 你好世界\nu9 多余\n", encoding="utf-8")
    out = tmp_path / "res" / "result.json"
    assert main(["--ref", str(ref), "--hyp", str(hyp), "--lang", "zh", "--out", str(out)]) == 0
    cap = capsys.readouterr()
    assert "CER" in cap.out and "25.00%" in cap.out  # (1 sub + 2 del) / 12 chars
    assert "1 utterance(s) without hypothesis" in cap.err
    assert "1 hypothesis id(s) without reference" in cap.err
    res = json.loads(out.read_text(encoding="utf-8"))
    assert res["metric"] == "cer" and res["errors"] == 3 and res["ref_tokens"] == 12
    assert (res["sub"], res["del"], res["missing_hyps"], res["extra_hyps"]) == (1, 2, 1, 1)
    assert res["rate"] == pytest.approx(3 / 12) and res["ser"] == pytest.approx(2 / 3)
    assert res["ref"] == str(ref) and res["lang"] == "zh"
    assert [p.name for p in out.parent.iterdir()] == ["result.json"]


def test_cli_inf_rate_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = tmp_path / "text"
    hyp = tmp_path / "hyp"
    ref.write_text("u1 ...\n")
    hyp.write_text("u1 oops\n")
    out = tmp_path / "r.json"
    assert main(["--ref", str(ref), "--hyp", str(hyp), "--lang", "en", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["rate"] is None
    hyp.write_text("u1 a\n\nu2 b\n")
    assert main(["--ref", str(ref), "--hyp", str(hyp)]) == 2
    assert f"{hyp}:2: blank line" in capsys.readouterr().err


def test_score_by_lang_splits_languages_and_skips_empty_references() -> None:
    from laura.metrics.wer import score_by_lang

    refs = {"a": "the cat sat", "b": "你好吗", "c": "", "d": "a dog"}
    hyps = {"a": "the cat sat", "b": "你好", "d": "the dog"}
    langs = {"a": "en", "b": "zh", "c": "en", "d": "en"}
    res = score_by_lang(refs, hyps, langs)
    assert set(res) == {"en", "zh"}
    assert res["en"]["n_utts"] == 2 and res["en"]["metric"] == "wer"
    assert res["en"]["rate"] == pytest.approx(1 / 5)
    assert res["zh"]["metric"] == "cer" and res["zh"]["rate"] == pytest.approx(1 / 3)
