"""Decode-side outputs under hostile conditions (issue 15): a decode killed midway, a re-run into
an existing output, utterance ids that would leave the output dir, and shipped experiments
decoded from another directory. The audio decodes use the shipped multi-task LauraGPT and
vocoder (egs/mini/lauragpt/shipped), so nothing is trained here."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.errors import DataError, ExperimentError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "egs/mini/lauragpt/shipped"
LM_REL = "egs/mini/lauragpt/shipped/lauragpt"  # relative to the repository root
VOC_REL = "egs/mini/lauragpt/shipped/vocoder"
FAST = ["decode.audio.generation.max_new_tokens=8", "decode.audio.n_pictures=1"]


def _tts_dir(d: Path, ids: list[str], wav_dir: Path | None = None) -> Path:
    """A TTS data dir written by hand (the ids go into the tables as given)."""
    d.mkdir(parents=True, exist_ok=True)
    wav_dir = wav_dir or d
    rows = []
    for i, uid in enumerate(ids):
        w = wav_dir / f"rec{i}.wav"
        t = np.arange(8000) / 16000
        sf.write(w, (0.1 * np.sin(2 * np.pi * (200 + 40 * i) * t)).astype(np.float32), 16000)
        rows.append((uid, w))
    rows.sort(key=lambda r: r[0].encode())
    (d / "wav.scp").write_text("".join(f"{u} {w}\n" for u, w in rows))
    (d / "text").write_text("".join(f"{u} the cat sat on the mat\n" for u, _ in rows))
    (d / "utt2spk").write_text("".join(f"{u} spk1\n" for u, _ in rows))
    return d


def _laura(*args: str) -> list[str]:
    return [sys.executable, "-m", "laura.cli", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def _checksums(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _table(path: Path) -> dict[str, str]:
    from laura.data.kaldi import read_table

    return read_table(path)


def _assert_consistent(out: Path) -> None:
    """wav.scp lists exactly the wavs present; tokens and decode.json name the same ids."""
    scp = _table(out / "wav.scp")
    present = {str(p) for p in (out / "wav").glob("*.wav")}
    assert set(scp.values()) == present
    assert {Path(p).stem for p in present} == set(scp)
    assert set(_table(out / "tokens")) == set(scp)
    assert set(json.loads((out / "decode.json").read_text())["per_utt"]) == set(scp)


def test_killed_decode_leaves_the_previous_results_intact(tmp_path) -> None:
    """A real SIGKILL midway through a re-decode (--overwrite): the earlier outputs are the
    same bytes and consistent; a re-run without --overwrite is refused; the next run clears the
    killed run's staging dir."""
    data = _tts_dir(tmp_path / "data", ["utt-a", "utt-b", "utt-c"])
    out = tmp_path / "dec"
    base = [
        "decode",
        "--exp",
        LM_REL,
        "--vocoder",
        VOC_REL,
        "--task",
        "TTS",
        "--data",
        str(data),
        "--out",
        str(out),
    ]
    # relative --exp and --vocoder, run from the repository root (issue 15, point 9)
    res = subprocess.run(_laura(*base, *FAST), cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    before = _checksums(out)
    assert len(list((out / "wav").glob("*.wav"))) == 3
    _assert_consistent(out)

    res = subprocess.run(_laura(*base, *FAST), cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "not empty" in lines[0] and "--overwrite" in lines[0], res.stderr
    assert _checksums(out) == before

    # Longer outputs than the first run: the window between the first wav and the swap (when
    # the kill must land) is then seconds, not milliseconds.
    seed1 = [
        "decode.audio.generation.max_new_tokens=200",
        "decode.audio.n_pictures=1",
        "decode.audio.seed=1",
    ]
    proc = subprocess.Popen(
        _laura(*base, "--overwrite", *seed1),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while not list(tmp_path.glob(".dec.staging-*/wav/utt-*.wav")):
            assert proc.poll() is None, "the decode ended before its first wav was seen"
            if time.monotonic() > deadline:  # a guard against hanging, not a speed target
                pytest.fail("no wav appeared in the staging dir")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    staging = list(tmp_path.glob(".dec.staging-*"))
    assert staging, "the killed run's partial outputs should be in its staging dir"
    assert _checksums(out) == before
    _assert_consistent(out)

    res = subprocess.run(
        _laura(*base, "--overwrite", *seed1), cwd=ROOT, env=_env(), capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert not list(tmp_path.glob(".dec.*")), list(tmp_path.glob(".dec.*"))
    assert json.loads((out / "decode.json").read_text())["config"]["seed"] == 1
    _assert_consistent(out)

    # score-audio: its scores.json is refused the second time unless --overwrite
    score = [
        "score-audio",
        "--decode",
        str(out),
        "--data",
        str(data),
        "--task",
        "TTS",
        "--no-pocketsphinx",
        "--no-secs",
        "--no-dnsmos",
    ]
    from laura.cli import main

    assert main(score) == 0
    first = (out / "scores.json").read_bytes()
    assert main(score) == 2
    assert (out / "scores.json").read_bytes() == first
    assert main([*score, "--overwrite"]) == 0


@pytest.mark.parametrize("bad", ["../../X", "a/b", "/abs/X", ".."])
def test_utterance_ids_that_leave_the_output_dir_are_refused(tmp_path, bad, capsys) -> None:
    from laura.cli import main

    if bad.startswith("/"):
        bad = str(tmp_path / "abs" / "X")  # where an absolute id would write, checked below
    work = tmp_path / "work" / "a" / "b"
    data = _tts_dir(tmp_path / "data", ["good-1", bad], wav_dir=tmp_path)
    out = work / "out"
    work.mkdir(parents=True)
    before = _files(tmp_path)
    rc = main(
        [
            "decode",
            "--exp",
            str(ROOT / LM_REL),
            "--vocoder",
            str(ROOT / VOC_REL),
            "--task",
            "TTS",
            "--data",
            str(data),
            "--out",
            str(out),
            *FAST,
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    # the data layer's reader or decode's own check (laura.decode.check_output_ids): one line
    # naming the id and the data dir
    assert repr(bad) in err[0] and str(data) in err[0], err
    assert _files(tmp_path) == before  # nothing written: not in --out, its parents, the data dir

    rc = main(
        [
            "vocoder-eval",
            "--vocoder",
            str(ROOT / VOC_REL),
            "--data",
            str(data),
            "--task",
            "TTS",
            "--out-dir",
            str(out),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and repr(bad) in err[0], err
    assert _files(tmp_path) == before


def test_shipped_experiment_decodes_from_another_directory(tmp_path, monkeypatch) -> None:
    """Relative paths in the shipped config.yaml / vocoder.json (shipped/bpe, shipped/codec:
    relative to the recipe dir) resolve against the experiment, not the current directory."""
    from laura.decode import decode, load_trained
    from laura.models.vocoder import load_vocoder

    data = _tts_dir(tmp_path / "data", ["u1"])
    monkeypatch.chdir(tmp_path)
    assert not (tmp_path / "shipped").exists()
    _, cfg = load_trained(ROOT / LM_REL)
    assert Path(cfg.tokenizer.path) == SHIPPED / "bpe"
    voc = load_vocoder(ROOT / VOC_REL)
    assert Path(voc.cfg.codec) == ROOT / "egs/mini/se_tts/shipped/codec"
    assert Path(voc.cfg.tokenizer.path) == SHIPPED / "bpe"
    info = decode(
        ROOT / LM_REL,
        data,
        "dec",
        task="TTS",
        vocoder=ROOT / VOC_REL,
        overrides=["decode.audio.generation.max_new_tokens=5", "decode.audio.n_pictures=0"],
    )
    assert info["n_utts"] == 1
    assert _table(tmp_path / "dec/wav.scp") == {"u1": str(tmp_path / "dec/wav/u1.wav")}
    assert sf.info(str(tmp_path / "dec/wav/u1.wav")).samplerate == 16000


def test_recorded_paths_resolve_against_the_file_that_names_them(tmp_path, monkeypatch) -> None:
    from laura.artefact import resolve_recorded_path

    recipe = tmp_path / "recipe"
    (recipe / "exp/lm").mkdir(parents=True)
    (recipe / "exp/bpe").mkdir()
    (recipe / "exp/lm/bpe").mkdir()
    cfg = recipe / "exp/lm/config.yaml"
    # the nearest match wins: the one that travels with the experiment
    assert resolve_recorded_path("bpe", cfg) == str(recipe / "exp/lm/bpe")
    assert resolve_recorded_path("exp/bpe", cfg) == str(recipe / "exp/bpe")
    assert resolve_recorded_path("/abs/never/checked", cfg) == "/abs/never/checked"
    assert resolve_recorded_path(None, cfg) is None
    # a path that climbs out (a sibling recipe's codec) comes back without its ".."
    (tmp_path / "other/codec").mkdir(parents=True)
    assert resolve_recorded_path("../other/codec", cfg) == str(tmp_path / "other/codec")
    # found nowhere: kept as it is (a model id, or the loader names the missing path)
    assert resolve_recorded_path("Qwen/Qwen2-0.5B", cfg) == "Qwen/Qwen2-0.5B"
    elsewhere = tmp_path / "cwd"
    (elsewhere / "only_here").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    assert resolve_recorded_path("only_here", cfg) == str(elsewhere / "only_here")


def test_nonempty_outputs_are_refused_before_any_work(tmp_path) -> None:
    """Every verb that writes an output dir or a result file refuses an existing one without
    --overwrite, before loading a model (the experiment given here does not even exist)."""
    from laura.cli import main
    from laura.decode import decode
    from laura.evaluation import evaluate_vocoder
    from laura.metrics.scoring import score as score_audio

    out = tmp_path / "out"
    out.mkdir()
    (out / "hyp").write_text("old\n")
    with pytest.raises(ExperimentError, match=r"out: decode output dir is not empty.*--overwrite"):
        decode(tmp_path / "no_exp", tmp_path / "no_data", out)
    with pytest.raises(ExperimentError, match="vocoder-eval output dir is not empty"):
        evaluate_vocoder(tmp_path / "no_voc", tmp_path / "no_data", "SE", out_dir=out)
    scores = tmp_path / "scores.json"
    scores.write_text("{}")
    with pytest.raises(ExperimentError, match=r"scores.json: exists.*--overwrite"):
        score_audio(tmp_path / "no_dec", tmp_path / "no_data", "SE", out=scores)
    assert (
        main(
            [
                "codec-eval",
                "--codec",
                str(tmp_path / "no_codec"),
                "--data",
                str(tmp_path / "no_data"),
                "--out",
                str(scores),
            ]
        )
        == 2
    )
    assert (out / "hyp").read_text() == "old\n" and scores.read_text() == "{}"


def _tiny_codec_dir(d: Path) -> Path:
    from conftest import tiny_codec

    from laura.nn.codec import save_codec

    return save_codec(tiny_codec(n_q=4), d)


def test_codec_tokens_cache_appears_complete_or_not_at_all(tmp_path, monkeypatch) -> None:
    """An extraction that dies midway leaves no cache (its partial fill is resumed by the next
    run); a cache made differently is refused unless overwrite, which swaps a new one in."""
    import laura.data.codec_tokens as ct
    from laura.data.token_cache import TokenCache

    codec = _tiny_codec_dir(tmp_path / "codec")
    data = _tts_dir(tmp_path / "data", ["u1", "u2", "u3"])
    final = data / "codec_tokens/audio"
    read, calls = ct.read_for_codec, []

    def dying_read(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # like a Ctrl-C midway through the utterances
        return read(*args, **kwargs)

    monkeypatch.setattr(ct, "read_for_codec", dying_read)
    with pytest.raises(KeyboardInterrupt):
        ct.extract_tokens(codec, data, n_q=2)
    assert not final.exists()
    monkeypatch.setattr(ct, "read_for_codec", read)
    assert ct.extract_tokens(codec, data, n_q=2) == final
    assert len(TokenCache(final)) == 3 and TokenCache(final).n_q == 2
    assert sorted(p.name for p in final.parent.iterdir()) == ["audio"]  # no partial left

    mtime = (final / "info.json").stat().st_mtime_ns
    ct.extract_tokens(codec, data, n_q=2)  # complete and made the same way: kept
    assert (final / "info.json").stat().st_mtime_ns == mtime
    with pytest.raises(ExperimentError, match="made differently.*--overwrite"):
        ct.extract_tokens(codec, data, n_q=4)
    assert TokenCache(final).n_q == 2
    ct.extract_tokens(codec, data, n_q=4, overwrite=True)
    assert TokenCache(final).n_q == 4 and len(TokenCache(final)) == 3
    assert sorted(p.name for p in final.parent.iterdir()) == ["audio"]


def test_check_output_ids_names_the_problem() -> None:
    from laura.decode import check_output_ids

    check_output_ids(["spk1-001", "a.b", "x..y"], "data/x")
    for bad in ("", ".", "..", "a/b", "a\\b", "a\0b"):
        with pytest.raises(DataError, match="data/x: utterance id"):
            check_output_ids(["ok", bad], "data/x")
