"""The one scoring path (`laura score --task`): groups, the metric by TaskSpec.metric, one
scores.json schema, one table; values computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import scoring_dirs, write_rows

from laura.bin.score import main
from laura.errors import ConfigError
from laura.metrics.scoring import group_by, score


@pytest.fixture
def asr_decode(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Four utterances: two English (spk a, held out), two Mandarin (spk b)."""
    refs = {"a-1": "the cat sat", "a-2": "a dog ran", "b-1": "你好世界", "b-2": "再见"}
    tables = {
        "utt2spk": {u: u[0] for u in refs},
        "text": refs,
        "utt2lang": {"a-1": "en", "a-2": "en", "b-1": "zh", "b-2": "zh"},
    }
    # en: 1 sub of 6 words; zh: 1 deletion of 6 characters
    hyps = {"a-1": "the cat sat", "a-2": "a dog sat", "b-1": "你好世", "b-2": "再见"}
    dec, data = scoring_dirs(tmp_path, tables, refs, hyps, {"loop_ratio": 0.25})
    speakers = tmp_path / "speakers.tsv"
    speakers.write_text("spk\tvoice\theldout\na\tx\t1\nb\ty\t0\n")
    return dec, data, speakers


def test_group_by_makes_every_combination_with_all_first() -> None:
    recs = {
        "u1": {"lang": "en", "speaker": "a", "snr": 5.0},
        "u2": {"lang": "zh", "speaker": "b", "snr": 0.0},
        "u3": {"lang": "en", "speaker": "b", "snr": 0.0},
    }
    groups = group_by(["u1", "u2", "u3"], recs, ["lang", "voice"], heldout={"a"})
    assert [(g, ids) for g, ids in groups] == [
        ({"lang": "all", "voice": "all voices"}, ["u1", "u2", "u3"]),
        ({"lang": "all", "voice": "held-out voices"}, ["u1"]),
        ({"lang": "en", "voice": "all voices"}, ["u1", "u3"]),
        ({"lang": "en", "voice": "held-out voices"}, ["u1"]),
        ({"lang": "zh", "voice": "all voices"}, ["u2"]),
    ]
    by_snr = group_by(["u1", "u2", "u3"], recs, ["snr"])
    assert [(g["snr"], ids) for g, ids in by_snr] == [
        ("all", ["u1", "u2", "u3"]),
        ("0", ["u2", "u3"]),  # numeric order, not string order
        ("5", ["u1"]),
    ]
    assert group_by(["u1"], recs, []) == [({}, ["u1"])]
    with pytest.raises(ConfigError, match="--by voice needs --speakers"):
        group_by(["u1"], recs, ["voice"])


def test_asr_scores_per_language_and_voice(asr_decode) -> None:
    dec, data, speakers = asr_decode
    res = score(dec, data, "ASR", by=["lang", "voice"], speakers=speakers, label="m", out=None)
    assert res["task"] == "ASR" and res["metric"] == "wer" and res["by"] == ["lang", "voice"]
    rows = {(g["group"]["lang"], g["group"]["voice"]): g for g in res["groups"]}
    assert list(rows) == [
        ("all", "all voices"),
        ("all", "held-out voices"),
        ("en", "all voices"),
        ("en", "held-out voices"),
        ("zh", "all voices"),
    ]
    en, zh = rows[("en", "all voices")]["scores"], rows[("zh", "all voices")]["scores"]
    assert en["metric"] == "WER" and en["rate"] == pytest.approx(1 / 6) and en["sub"] == 1
    assert zh["metric"] == "CER" and zh["rate"] == pytest.approx(1 / 6) and zh["del"] == 1
    assert rows[("all", "all voices")]["scores"]["metric"] == "MIXED"
    assert rows[("all", "all voices")]["scores"]["rate"] == pytest.approx(2 / 12)
    assert rows[("en", "held-out voices")]["n_utts"] == 2


def test_cli_writes_scores_json_and_a_table(asr_decode, capsys) -> None:
    dec, data, speakers = asr_decode
    argv = [
        "--task",
        "ASR",
        "--decode",
        str(dec),
        "--data",
        str(data),
        "--by",
        "lang,voice",
        "--speakers",
        str(speakers),
        "--label",
        "tiny",
    ]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert (
        "| model | lang | voices | metric | error rate | sub | ins | del | utts | loop ratio |"
        in table
    )
    assert "| tiny | en | all voices | WER | 16.7% | 1 | 0 | 0 | 2 | 0.250 |" in table
    assert "| tiny | zh | all voices | CER | 16.7% | 0 | 0 | 1 | 2 | 0.250 |" in table
    saved = json.loads((dec / "scores.json").read_text())
    assert set(saved) == {
        "task",
        "metric",
        "decode",
        "data",
        "label",
        "by",
        "decode_info",
        "groups",
        "per_utt",
    }
    assert saved["decode_info"] == {"loop_ratio": 0.25}
    first = (dec / "scores.json").read_bytes()
    assert main(argv) == 2  # an existing scores.json is kept
    assert "exists; choose another or pass --overwrite" in capsys.readouterr().err
    assert (dec / "scores.json").read_bytes() == first
    assert main([*argv, "--overwrite"]) == 0


def test_skip_done_keeps_a_score_of_the_same_inputs_and_redoes_a_stale_one(
    asr_decode, capsys
) -> None:
    dec, data, speakers = asr_decode
    argv = ["--task", "ASR", "--decode", str(dec), "--data", str(data), "--by", "lang"]
    assert main([*argv, "--skip-done"]) == 0
    first = (dec / "scores.json").read_bytes()
    assert "stamp" in json.loads(first)
    capsys.readouterr()
    assert main([*argv, "--skip-done"]) == 0  # no --overwrite needed: nothing is written
    out = capsys.readouterr().out
    assert "scores.json: scored before from the same decode, data and options (skipped)" in out
    assert "| en | WER | 16.7% |" in out  # the kept result's table
    assert (dec / "scores.json").read_bytes() == first
    # another hypothesis: stale, so refused without --overwrite and scored anew with it
    write_rows(
        dec / "hyp", {"a-1": "the cat sat", "a-2": "a dog ran", "b-1": "你好世界", "b-2": "再见"}
    )
    assert main([*argv, "--skip-done"]) == 2
    assert "exists; choose another or pass --overwrite" in capsys.readouterr().err
    assert main([*argv, "--skip-done", "--overwrite"]) == 0
    assert "(skipped)" not in capsys.readouterr().out
    saved = json.loads((dec / "scores.json").read_text())
    assert saved["groups"][0]["scores"]["rate"] == 0.0
    # another option (here the label) is another score too
    assert main([*argv, "--skip-done", "--overwrite", "--label", "m2"]) == 0
    assert "(skipped)" not in capsys.readouterr().out


def test_refusals_name_the_problem(asr_decode, capsys, monkeypatch) -> None:
    from laura.data import tasks

    dec, data, _ = asr_decode
    base = ["--decode", str(dec), "--data", str(data), "--out", str(dec / "x.json")]
    # a task added without a scorer for its metric
    new = tasks.TaskSpec("XYZ", inputs=("audio",), output_kind="text", metric="nope")
    monkeypatch.setitem(tasks._REGISTRY, "XYZ", new)
    assert main(["--task", "XYZ", *base]) == 2
    assert "task XYZ: no scorer for its metric 'nope' yet" in capsys.readouterr().err
    assert main(["--task", "ASR", *base, "--asr-exp", "exp"]) == 2
    assert "option(s) asr_exp do not apply" in capsys.readouterr().err
    assert main(["--task", "ASR", *base, "--by", "speaker"]) == 2
    assert "--by speaker: group by lang, voice or snr" in capsys.readouterr().err
    (dec / "ref").write_text("zz-9 unknown\n")
    assert main(["--task", "ASR", *base]) == 2
    assert "1 utterances not in" in capsys.readouterr().err
    assert not (dec / "x.json").exists()


def test_se_scores_per_snr_equal_the_metric_per_utterance(tmp_path, capsys) -> None:
    """PESQ/STOI of each SNR row are the means of the per-utterance values, beside the noisy
    input's; a metric the run skipped gets no column."""
    from laura.data.dataset import read_audio
    from laura.metrics.audio import pesq_wb, stoi

    rng = np.random.default_rng(0)
    t = np.arange(32000) / 16000
    clean = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    data, dec = tmp_path / "data", tmp_path / "dec"
    (dec / "wav").mkdir(parents=True)
    data.mkdir()
    snrs = {"u1": 0.0, "u2": 10.0, "u3": 10.0}
    for u, snr in snrs.items():
        noise = rng.standard_normal(len(clean)).astype(np.float32)
        noise *= np.sqrt(np.mean(clean**2) / np.mean(noise**2) / 10 ** (snr / 10))
        sf.write(data / f"{u}_clean.wav", clean, 16000)
        sf.write(data / f"{u}.wav", clean + noise, 16000)
        sf.write(dec / "wav" / f"{u}.wav", clean + 0.5 * noise, 16000)  # "enhanced": half the noise
    write_rows(data / "wav.scp", {u: str(data / f"{u}.wav") for u in snrs})
    write_rows(data / "clean.scp", {u: str(data / f"{u}_clean.wav") for u in snrs})
    write_rows(data / "utt2spk", {u: u for u in snrs})
    write_rows(data / "spk2utt", {u: u for u in snrs})
    write_rows(data / "utt2snr", {u: f"{s:g}" for u, s in snrs.items()})
    write_rows(dec / "wav.scp", {u: str(dec / "wav" / f"{u}.wav") for u in snrs})
    res = score(dec, data, "SE", by=["snr"], pocketsphinx=False, secs=False, mos=False)
    groups = {g["group"]["snr"]: g for g in res["groups"]}
    assert list(groups) == ["all", "0", "10"] and groups["10"]["n_utts"] == 2

    def read(path: Path) -> np.ndarray:  # as the scorer reads it (float32)
        return read_audio(str(path))[0]

    def pesq_of(u: str, path: Path) -> float:
        return pesq_wb(read(data / f"{u}_clean.wav"), read(path))

    expect = np.mean([pesq_of(u, dec / "wav" / f"{u}.wav") for u in ("u2", "u3")])
    assert groups["10"]["scores"]["pesq"] == pytest.approx(expect, abs=1e-4)
    assert groups["0"]["scores"]["pesq_noisy"] == pytest.approx(
        pesq_of("u1", data / "u1.wav"), abs=1e-4
    )
    assert groups["0"]["scores"]["stoi"] == pytest.approx(
        stoi(read(data / "u1_clean.wav"), read(dec / "wav" / "u1.wav")), abs=1e-4
    )
    assert groups["0"]["scores"]["pesq"] > groups["0"]["scores"]["pesq_noisy"]  # half the noise
    assert set(res["per_utt"]["u1"]) == {"pesq", "stoi", "pesq_noisy", "stoi_noisy"}
    # the gain over the noisy input is the paired mean, inside its bootstrap interval; with one
    # utterance the interval has no width
    per = res["per_utt"]
    gain = np.mean([per[u]["pesq"] - per[u]["pesq_noisy"] for u in ("u2", "u3")])
    g10 = groups["10"]["scores"]
    assert g10["pesq_gain"] == pytest.approx(gain, abs=1e-4)
    assert g10["pesq_gain_lo"] <= g10["pesq_gain"] <= g10["pesq_gain_hi"]
    g0 = groups["0"]["scores"]
    assert g0["pesq_gain_lo"] == g0["pesq_gain"] == g0["pesq_gain_hi"] > 0
    from laura.metrics.scoring import format_table

    table = format_table(res)
    assert table.splitlines()[0] == (
        "| model | SNR (dB) | PESQ-wb | PESQ-wb noisy | PESQ gain | gain 95% low | gain 95% high"
        " | STOI | STOI noisy | utts | loop ratio |"
    )
    assert "DNSMOS" not in table and "SECS" not in table
