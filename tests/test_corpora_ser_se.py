"""SER corpus modules (MELD, IEMOCAP, RAVDESS, TESS, CREMA-D, SAVEE, EmoV-DB) and the SE mixture
simulator, each on a tiny fixture in the corpus's real layout and audio format."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.data.augment import crop_or_loop, mix_at_snr, reverberate, signal_power
from laura.data.corpora import corpora, get_corpus
from laura.data.emotion_labels import LABEL_MAPS, eval_class
from laura.data.errors import DataError
from laura.data.kaldi import load_data_dir, read_table
from laura.data.validate import validate_data_dir

SER_EXTRAS = ("utt2emotion", "utt2emotion_orig", "utt2lang")


def tone(
    path: Path,
    sr: int,
    seconds: float = 0.3,
    channels: int = 1,
    freq: float = 220.0,
    subtype: str = "PCM_16",
    seed: int = 0,
) -> Path:
    """A short sine + noise signal written in the corpus's own format."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(len(t))
    if channels > 1:
        x = np.stack([x] * channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x.astype(np.float32), sr, subtype=subtype)
    return path


def assert_valid(d: Path, **kw) -> None:
    problems = validate_data_dir(d, **kw)
    assert not problems, "\n".join(map(str, problems))


def table(d: Path, name: str) -> dict[str, str]:
    return read_table(d / name)


def test_registry_and_label_tables():
    names = corpora()
    for name in ("meld", "iemocap", "ravdess", "tess", "crema_d", "savee", "emovdb"):
        assert names[name].tasks == ("SER",)
    assert get_corpus("se_mixture").tasks == ("SE",)
    assert set(LABEL_MAPS) == {"meld", "iemocap", "ravdess", "tess", "crema_d", "savee", "emovdb"}
    assert eval_class("happiness") == eval_class("like") == eval_class("joy") == "joy"
    assert eval_class("Anger") == "anger"


# --------------------------------------------------------------------------------- MELD

MELD_HEADER = (
    "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,"
    "StartTime,EndTime\n"
)


def meld_fixture(root: Path, mp4_only: bool = False) -> Path:
    raw = root / "MELD.Raw"
    rows = {
        "train": [
            ('"Oh my God, he\x92s lost it."', "Phoebe", "sadness", "negative", 0, 0),
            ("What?", "Monica", "surprise", "negative", 0, 1),
            ("No clip for me.", "Ross", "joy", "positive", 1, 0),  # clip missing
        ],
        "dev": [("Hi.", "Mr. Geller", "neutral", "neutral", 0, 0)],
        "test": [
            (
                "Why do all you\x92re coffee mugs have numbers?",
                "Mark",
                "surprise",
                "positive",
                0,
                0,
            ),
            ("Ugh.", "Rachel", "disgust", "negative", 0, 1),
        ],
    }
    clip_dirs = {
        "train": "train_splits",
        "dev": "dev_splits_complete",
        "test": "output_repeated_splits_test",
    }
    for split, rs in rows.items():
        lines = [MELD_HEADER]
        for i, (utt, spk, emo, sent, d, u) in enumerate(rs, start=1):
            lines.append(
                f'{i},{utt},{spk},{emo},{sent},{d},{u},4,7,"00:20:57,256","00:21:00,049"\n'
            )
        raw.mkdir(parents=True, exist_ok=True)
        (raw / f"{split}_sent_emo.csv").write_text("".join(lines), encoding="utf-8")
        clips = raw / clip_dirs[split]
        clips.mkdir(parents=True, exist_ok=True)
        for _, _, _, _, d, u in rs:
            if split == "train" and d == 1:
                continue
            (clips / f"dia{d}_utt{u}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
            if not mp4_only:  # the audio track, extracted beforehand: 48 kHz stereo
                tone(clips / f"dia{d}_utt{u}.wav", 48000, channels=2)
    return root


def test_meld_with_pre_extracted_wavs(tmp_path):
    src = meld_fixture(tmp_path / "src")
    out = tmp_path / "out"
    dirs = get_corpus("meld").prepare(src, out)
    assert set(dirs) == {"train", "dev", "test"}
    train = dirs["train"]
    text = table(train, "text")
    assert text == {
        "Monica-train_dia0_utt1": "What?",
        "Phoebe-train_dia0_utt0": "Oh my God, he's lost it.",
    }
    assert table(train, "utt2emotion") == {
        "Monica-train_dia0_utt1": "surprise",
        "Phoebe-train_dia0_utt0": "sadness",
    }
    assert table(train, "utt2sentiment")["Phoebe-train_dia0_utt0"] == "negative"
    assert "dia1_utt0.mp4\tclip missing" in (train / "skipped.tsv").read_text()
    assert table(dirs["dev"], "utt2spk") == {"Mr_Geller-dev_dia0_utt0": "Mr_Geller"}
    test = table(dirs["test"], "text")
    assert test["Mark-test_dia0_utt0"] == "Why do all you're coffee mugs have numbers?"
    assert table(dirs["test"], "utt2emotion_orig")["Rachel-test_dia0_utt1"] == "disgust"
    for d in dirs.values():
        assert_valid(d)
        kd = load_data_dir(d)
        assert all(p.startswith(str(out.resolve())) for p in kd.wav.values())  # converted
        assert all(sf.info(p).samplerate == 16000 for p in kd.wav.values())
    # idempotent: a second run gives the same tables
    before = (train / "wav.scp").read_text()
    get_corpus("meld").prepare(src, out, splits=["train"])
    assert (train / "wav.scp").read_text() == before


def fake_ffmpeg(bin_dir: Path) -> Path:
    """A stand-in `ffmpeg` that checks the arguments and writes a 16 kHz mono wav."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / "ffmpeg"
    exe.write_text(
        f"#!{sys.executable}\n"
        "import sys, numpy as np, soundfile as sf\n"
        "a = sys.argv[1:]\n"
        "assert a[a.index('-ar') + 1] == '16000' and a[a.index('-ac') + 1] == '1', a\n"
        "assert '-vn' in a and a[a.index('-i') + 1].endswith('.mp4'), a\n"
        "if 'dia0_utt1' in a[a.index('-i') + 1]:\n"
        "    sys.stderr.write('Output file does not contain any stream\\n'); sys.exit(1)\n"
        "sf.write(a[-1], 0.1 * np.sin(np.arange(4800) / 5.0), 16000, subtype='PCM_16',"
        " format='WAV')\n"
    )
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_meld_extracts_mp4_audio_with_ffmpeg(tmp_path):
    src = meld_fixture(tmp_path / "src", mp4_only=True)
    exe = fake_ffmpeg(tmp_path / "bin")
    dirs = get_corpus("meld").prepare(src, tmp_path / "out", splits=["test"], ffmpeg=str(exe))
    d = dirs["test"]
    assert list(table(d, "wav.scp")) == ["Mark-test_dia0_utt0"]
    skipped = (d / "skipped.tsv").read_text()
    assert "dia0_utt1.mp4\taudio extraction failed (ffmpeg exit 1: Output file" in skipped
    assert_valid(d)


def test_meld_errors(tmp_path):
    src = meld_fixture(tmp_path / "src", mp4_only=True)
    with pytest.raises(DataError, match=r"command 'no-such-ffmpeg' is not on PATH"):
        get_corpus("meld").prepare(src, tmp_path / "out", splits=["dev"], ffmpeg="no-such-ffmpeg")
    os.remove(src / "MELD.Raw" / "test_sent_emo.csv")
    with pytest.raises(DataError, match=r"test_sent_emo\.csv: not found"):
        get_corpus("meld").prepare(src, tmp_path / "out", splits=["test"])


# ------------------------------------------------------------------------------ IEMOCAP


def iemocap_fixture(root: Path) -> Path:
    top = root / "IEMOCAP_full_release"
    for n in range(1, 6):
        sess = top / f"Session{n}"
        for g in "FM":
            dialog = f"Ses0{n}{g}_impro01"
            turns = [
                (f"{dialog}_F000", "neu", "Excuse me."),
                (f"{dialog}_M000", "exc" if g == "F" else "ang", "Yeah [LAUGHTER]  sure."),
                (f"{dialog}_F001", "fru", "Ugh."),
                (f"{dialog}_M001", "xxx", "Hm."),
            ]
            ev = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\r\n", "\r\n"]
            tr = []
            for i, (turn, lab, words) in enumerate(turns):
                ev.append(f"[{i}.5000 - {i + 1}.2500]\t{turn}\t{lab}\t[2.5000, 3.0000, 3.5000]\r\n")
                ev.append("C-E1:\tNeutral;\t()\r\n\r\n")  # per-annotator line: ignored
                tr.append(f"{turn} [{i:03d}.5000-{i + 1:03d}.2500]: {words}\r\n")
                tone(sess / "sentences" / "wav" / dialog / f"{turn}.wav", 16000, seconds=0.2)
            (sess / "dialog" / "EmoEvaluation").mkdir(parents=True, exist_ok=True)
            (sess / "dialog" / "EmoEvaluation" / f"{dialog}.txt").write_text("".join(ev))
            (sess / "dialog" / "transcriptions").mkdir(parents=True, exist_ok=True)
            (sess / "dialog" / "transcriptions" / f"{dialog}.txt").write_text("".join(tr))
    return root


def test_iemocap(tmp_path):
    src = iemocap_fixture(tmp_path / "src")
    dirs = get_corpus("iemocap").prepare(src, tmp_path / "out")
    test, dev, train = (table(dirs[s], "utt2emotion") for s in ("test", "dev", "train"))
    assert test == {
        "Ses05F-Ses05F_impro01_F000": "neutral",
        "Ses05F-Ses05M_impro01_F000": "neutral",
        "Ses05M-Ses05F_impro01_M000": "happiness",  # exc
        "Ses05M-Ses05M_impro01_M000": "anger",
    }
    assert set(dev) == {"Ses04F-Ses04M_impro01_F000", "Ses04M-Ses04M_impro01_M000"}
    assert "Ses04F-Ses04F_impro01_F000" in train and len(train) == 14
    assert table(dirs["test"], "utt2emotion_orig")["Ses05M-Ses05F_impro01_M000"] == "exc"
    assert table(dirs["test"], "text")["Ses05M-Ses05M_impro01_M000"] == "Yeah [LAUGHTER] sure."
    assert (
        table(dirs["test"], "utt2emotion_vad")["Ses05F-Ses05F_impro01_F000"]
        == "2.5000 3.0000 3.5000"
    )
    assert table(dirs["test"], "utt2spk")["Ses05M-Ses05F_impro01_M000"] == "Ses05M"
    skipped = (dirs["test"] / "skipped.tsv").read_text()
    assert skipped.count("label 'fru' has no unified class") == 2
    assert skipped.count("label 'xxx' has no unified class") == 2
    wav = load_data_dir(dirs["test"]).wav  # 16 kHz mono originals are used in place
    assert all("sentences/wav" in p for p in wav.values())
    for d in dirs.values():
        assert_valid(d)
    # leave-one-session-out: Session 1 as test, Ses05M dialogs as dev
    dirs = get_corpus("iemocap").prepare(src, tmp_path / "out1", test_session=1)
    assert {u.split("-")[0][:5] for u in table(dirs["test"], "text")} == {"Ses01"}
    assert {u.split("-", 1)[1][:6] for u in table(dirs["dev"], "text")} == {"Ses05M"}


def test_iemocap_broken(tmp_path):
    src = iemocap_fixture(tmp_path / "src")
    ev = src / "IEMOCAP_full_release" / "Session3" / "dialog" / "EmoEvaluation"
    for p in ev.iterdir():
        p.unlink()
    ev.rmdir()
    with pytest.raises(DataError, match=r"Session3/dialog/EmoEvaluation: not found"):
        get_corpus("iemocap").prepare(src, tmp_path / "out")
    # splits that do not need Session 3 still work
    dirs = get_corpus("iemocap").prepare(src, tmp_path / "out", splits=["test"])
    assert_valid(dirs["test"])


# ------------------------------------------------------------------------------ RAVDESS


def test_ravdess(tmp_path):
    src = tmp_path / "src"
    for actor in (1, 2, 21, 24):
        d = src / f"Actor_{actor:02d}"
        tone(d / f"03-01-02-01-01-01-{actor:02d}.wav", 48000)  # calm, kids
        tone(d / f"03-01-03-02-02-02-{actor:02d}.wav", 48000, channels=2)  # happy, dogs
    tone(src / "Actor_01" / "03-02-05-01-01-01-01.wav", 48000)  # song: skipped
    dirs = get_corpus("ravdess").prepare(src, tmp_path / "out")
    assert set(table(dirs["train"], "utt2spk").values()) == {"Actor_01", "Actor_02"}
    assert set(table(dirs["dev"], "utt2spk").values()) == {"Actor_21"}
    assert set(table(dirs["test"], "utt2spk").values()) == {"Actor_24"}
    emo = table(dirs["test"], "utt2emotion")
    assert emo == {
        "Actor_24-03-01-02-01-01-01-24": "neutral",
        "Actor_24-03-01-03-02-02-02-24": "happiness",
    }
    assert table(dirs["test"], "utt2emotion_orig")["Actor_24-03-01-02-01-01-01-24"] == "calm"
    assert (
        table(dirs["test"], "text")["Actor_24-03-01-03-02-02-02-24"]
        == "Dogs are sitting by the door"
    )
    assert table(dirs["test"], "utt2intensity")["Actor_24-03-01-03-02-02-02-24"] == "strong"
    assert "not audio-only speech" in (dirs["train"] / "skipped.tsv").read_text()
    for d in dirs.values():
        assert_valid(d)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no Actor_01..Actor_24 folders"):
        get_corpus("ravdess").prepare(tmp_path / "empty", tmp_path / "out2")


# --------------------------------------------------------------------------------- TESS

TESS_WORDS = ["back", "bar", "base", "bath", "bean", "beg", "bite", "boat", "bone", "book"]


def test_tess(tmp_path):
    src = tmp_path / "src" / "TESS Toronto emotional speech set data"
    for i, w in enumerate(TESS_WORDS):
        tone(src / "OAF_angry" / f"OAF_{w}_angry.wav", 24414, seconds=0.2, seed=i)
    tone(src / "YAF_pleasant_surprised" / "YAF_bone_ps.wav", 24414, seconds=0.2)
    tone(src / "YAF_neutral" / "YAF_book_neutral.wav", 24414, seconds=0.2)
    dirs = get_corpus("tess").prepare(tmp_path / "src", tmp_path / "out")
    # sorted words: index 8 ("bone") -> dev, index 9 ("book") -> test
    assert table(dirs["dev"], "utt2emotion") == {
        "OAF_bone_angry": "anger",
        "YAF_bone_ps": "surprise",
    }
    assert table(dirs["test"], "text") == {
        "OAF_book_angry": "Say the word book",
        "YAF_book_neutral": "Say the word book",
    }
    assert len(table(dirs["train"], "text")) == 8
    assert table(dirs["dev"], "utt2spk")["YAF_bone_ps"] == "YAF"
    for d in dirs.values():
        assert_valid(d)
    with pytest.raises(DataError, match=r"no <OAF\|YAF>_<word>_<emotion>.wav files"):
        get_corpus("tess").prepare(tmp_path / "out" / "train", tmp_path / "out2")


# ------------------------------------------------------------------------------ CREMA-D


def test_crema_d(tmp_path):
    audio = tmp_path / "src" / "AudioWAV"
    codes = ["DFA", "IEO", "IOM", "ITH", "ITS", "IWL", "IWW", "MTI", "TAI", "TIE"]
    emos = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD", "ANG", "DIS", "FEA", "HAP"]
    for i in range(10):
        tone(audio / f"{1001 + i}_{codes[i]}_{emos[i]}_XX.wav", 16000, seconds=0.2, seed=i)
    sf.write(audio / "1001_MTI_SAD_XX.wav", np.zeros(0, dtype=np.float32), 16000)  # empty
    dirs = get_corpus("crema_d").prepare(tmp_path / "src", tmp_path / "out")
    assert table(dirs["dev"], "utt2emotion") == {"1009_TAI_FEA_XX": "fear"}
    assert table(dirs["test"], "text") == {"1010_TIE_HAP_XX": "That is exactly what happened"}
    assert table(dirs["test"], "utt2emotion") == {"1010_TIE_HAP_XX": "happiness"}
    train = table(dirs["train"], "utt2spk")
    assert len(train) == 8 and train["1001_DFA_ANG_XX"] == "1001"
    assert "empty audio" in (dirs["train"] / "skipped.tsv").read_text()
    assert load_data_dir(dirs["test"]).wav["1010_TIE_HAP_XX"] == str(
        (audio / "1010_TIE_HAP_XX.wav").resolve()
    )  # 16 kHz originals in place
    for d in dirs.values():
        assert_valid(d)
    with pytest.raises(DataError, match=r"AudioWAV: not found"):
        get_corpus("crema_d").prepare(tmp_path / "out", tmp_path / "out2")


def test_crema_d_clone_without_git_lfs_pull(tmp_path):
    clone = tmp_path / "CREMA-D"
    (clone / ".git").mkdir(parents=True)
    audio = clone / "AudioWAV"
    audio.mkdir()
    for stem in ("1001_DFA_ANG_XX", "1002_IEO_HAP_HI"):
        (audio / f"{stem}.wav").write_text(
            "version https://git-lfs.github.com/spec/v1\n"
            "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
            "size 75148\n"
        )
    with pytest.raises(DataError) as err:
        get_corpus("crema_d").prepare(clone, tmp_path / "out", num_workers=1)
    assert str(err.value) == (
        f"{audio / '1001_DFA_ANG_XX.wav'}: a git-lfs pointer file, not audio (the repository "
        f"was cloned without its LFS files); run `git lfs pull` in {clone.resolve()}, then "
        "prepare again"
    )


# -------------------------------------------------------------------------------- SAVEE


def test_savee(tmp_path):
    data = tmp_path / "src" / "AudioData"
    for spk in ("DC", "JE", "JK", "KL"):
        for code in ("a01", "n01", "su15"):
            tone(data / spk / f"{code}.wav", 44100, seconds=0.2)
    dirs = get_corpus("savee").prepare(tmp_path / "src", tmp_path / "out")
    assert set(dirs) == {"train", "test"}
    assert table(dirs["test"], "utt2emotion") == {
        "KL-a01": "anger",
        "KL-n01": "neutral",
        "KL-su15": "surprise",
    }
    assert table(dirs["test"], "utt2emotion_orig")["KL-su15"] == "su"
    assert len(table(dirs["train"], "utt2spk")) == 9
    assert not (dirs["test"] / "text").exists()
    for d in dirs.values():
        assert_valid(d, require_text=False)
    for p in (data / "JK").iterdir():
        p.unlink()
    (data / "JK").rmdir()
    with pytest.raises(DataError, match=r"AudioData/JK: not found"):
        get_corpus("savee").prepare(tmp_path / "src", tmp_path / "out")


# ------------------------------------------------------------------------------ EmoV-DB


def emovdb_fixture(src: Path) -> Path:
    tone(src / "bea_Amused" / "amused_1-15_0001.wav", 44100, seconds=0.2)
    tone(src / "bea_Neutral" / "neutral_1-28_0002.wav", 44100, seconds=0.2)
    tone(src / "jenie_Sleepy" / "sleepiness_1-10_0003.wav", 44100, seconds=0.2)
    tone(src / "sam" / "anger" / "anger_1-28_0002.wav", 44100, seconds=0.2)  # sorted layout
    (src / "cmuarctic.data").write_text(
        '( arctic_a0001 "Author of the danger trail, Philip Steels, etc." )\n'
        '( arctic_a0002 "Not at this particular case, Tom, apologized Whittemore." )\n'
        '( arctic_a0003 "For the twentieth time that evening the two men shook hands." )\n'
        '( arctic_b0001 "Some other prompt." )\n'
    )
    return src


def test_emovdb(tmp_path):
    src = emovdb_fixture(tmp_path / "src")
    dirs = get_corpus("emovdb").prepare(src, tmp_path / "out")
    assert table(dirs["train"], "utt2emotion") == {
        "bea-amused_1-15_0001": "happiness",
        "bea-neutral_1-28_0002": "neutral",
    }
    assert table(dirs["test"], "text") == {
        "sam-anger_1-28_0002": "Not at this particular case, Tom, apologized Whittemore."
    }
    assert "style 'sleepiness' has no unified class" in (dirs["train"] / "skipped.tsv").read_text()
    for d in dirs.values():
        assert_valid(d)
    dirs = get_corpus("emovdb").prepare(src, tmp_path / "out2", splits=["train"], sleepy="neutral")
    assert table(dirs["train"], "utt2emotion")["jenie-sleepiness_1-10_0003"] == "neutral"
    (src / "cmuarctic.data").unlink()  # the OpenSLR archives carry no prompts: no text table
    dirs = get_corpus("emovdb").prepare(src, tmp_path / "out3", splits=["test"])
    assert not (dirs["test"] / "text").exists()
    assert_valid(dirs["test"], require_text=False)


# One file per speaker (names as in the corpus) and where each official layout puts it.
EMOVDB_FILES = [  # (speaker, archive style word, file)
    ("bea", "Amused", "amused_1-15_0001.wav"),
    ("bea", "Sleepy", "sleepiness_1-28_0015.wav"),
    ("jenie", "Angry", "anger_393-420_0397.wav"),
    ("josh", "Neutral", "neutral_1-28_0002.wav"),
    ("sam", "Angry", "anger_336-364_0349.wav"),
]
README_SPEAKERS = {"bea": "Spk-Bea", "jenie": "Spk-Je", "josh": "Spk-Jsh", "sam": "Spk-Sa"}


def emovdb_layout(src: Path, layout: str) -> None:
    for i, (spk, style, name) in enumerate(EMOVDB_FILES):
        if layout == "openslr":  # each archive extracted into a folder named after it
            path = src / f"{spk}_{style}" / name
        elif layout == "sorted":  # the authors' sorted copy: <speaker>/<Style>/
            path = src / "EmoV-DB_sorted" / spk / style / name
        elif layout == "script":  # emov_mfa_alignment.Emov().download(): EMOV-DB/1..4
            num = "1234"["bea jenie josh sam".split().index(spk)]
            path = src / "EMOV-DB" / num / name
            # its MFA steps add <file>.lab transcripts beside the wavs and trimmed copies under
            # EMOV/<n>/: not the corpus
            tone(src / "EMOV" / num / name, 22050, seconds=0.1, seed=i)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.with_suffix(".lab").write_text("author of the danger trail")
        else:  # the README's speaker names
            path = src / README_SPEAKERS[spk] / style / name
        # the distributed files are 44.1 kHz, some stored as 64-bit float wav
        tone(path, 44100, seconds=0.1, seed=i, subtype="DOUBLE" if i % 2 else "PCM_16")
    arctic = src / "EMOV-DB" if layout == "script" else src
    (arctic / "cmuarctic.data").write_text(
        '( arctic_a0001 "Author of the danger trail, Philip Steels, etc." )\n'
        '( arctic_a0002 "Not at this particular case, Tom, apologized Whittemore." )\n'
        '( arctic_a0015 "The gray eyes faltered; the flush deepened." )\n'
        '( arctic_a0349 "Each of them was ignorant." )\n'
        '( arctic_a0397 "It was just as well." )\n'
    )


@pytest.mark.parametrize("layout", ["openslr", "sorted", "script", "readme"])
def test_emovdb_official_layouts_give_all_four_speakers(tmp_path, layout):
    src = tmp_path / "src"
    emovdb_layout(src, layout)
    dirs = get_corpus("emovdb").prepare(src, tmp_path / "out", num_workers=1)
    assert table(dirs["train"], "utt2spk") == {
        "bea-amused_1-15_0001": "bea",
        "jenie-anger_393-420_0397": "jenie",
        "josh-neutral_1-28_0002": "josh",
    }
    assert table(dirs["test"], "utt2spk") == {"sam-anger_336-364_0349": "sam"}
    assert table(dirs["test"], "text") == {"sam-anger_336-364_0349": "Each of them was ignorant."}
    assert table(dirs["train"], "utt2emotion") == {
        "bea-amused_1-15_0001": "happiness",
        "jenie-anger_393-420_0397": "anger",
        "josh-neutral_1-28_0002": "neutral",
    }
    # only the sleepy file is skipped (no trimmed EMOV/ copy, no .lab file, no duplicate)
    skipped = (dirs["train"] / "skipped.tsv").read_text().splitlines()
    assert [line.split("\t")[1] for line in skipped] == ["style 'sleepiness' has no unified class"]
    assert skipped[0].split("\t")[0].endswith("sleepiness_1-28_0015.wav")
    for d in dirs.values():
        assert_valid(d)
    if layout == "script":  # src may also be the EMOV-DB folder itself
        again = get_corpus("emovdb").prepare(src / "EMOV-DB", tmp_path / "out2", num_workers=1)
        assert table(again["train"], "utt2spk") == table(dirs["train"], "utt2spk")


def test_emovdb_unrecognised_layout_names_the_folder_and_the_layouts(tmp_path):
    # every archive extracted straight into one folder: the speakers are lost
    for i, (_, _, name) in enumerate(EMOVDB_FILES):
        tone(tmp_path / "src" / name, 44100, seconds=0.1, seed=i)
    with pytest.raises(DataError) as err:
        get_corpus("emovdb").prepare(tmp_path / "src", tmp_path / "out")
    msg = str(err.value)
    assert msg.startswith(f"{tmp_path / 'src'}: no EmoV-DB layout recognised (5 .wav files")
    for layout in ("bea_Amused/", "bea/Amused/", "EMOV-DB/1/", "Spk-Je"):
        assert layout in msg
    assert "\n" not in msg


def test_emovdb_broken(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bea_Amused.tar.gz").write_bytes(b"")
    with pytest.raises(DataError, match="archives are there: extract them"):
        get_corpus("emovdb").prepare(tmp_path / "src", tmp_path / "out")
    with pytest.raises(DataError, match="nope.data: not found"):
        get_corpus("emovdb").prepare(
            tmp_path / "src", tmp_path / "out", arctic_prompts=tmp_path / "nope.data"
        )


# ---------------------------------------------------------------------------- SE mixture


def test_mix_at_snr_is_exact_and_deterministic():
    rng = np.random.default_rng(0)
    speech = np.concatenate([np.zeros(8000), 0.3 * rng.standard_normal(16000), np.zeros(8000)])
    noise = rng.standard_normal(5000)  # shorter than the speech: looped
    for mode in ("whole", "active"):
        for snr in (-5.0, 0.0, 2.5, 15.0):
            mix, n = mix_at_snr(speech, noise, snr, np.random.default_rng(1), mode=mode)
            assert mix.shape == speech.shape and np.allclose(mix - n, speech)
            got = 10 * np.log10(signal_power(speech, mode) / np.mean(n**2))
            assert abs(got - snr) < 1e-9
    a, _ = mix_at_snr(speech, noise, 5.0, np.random.default_rng(7))
    b, _ = mix_at_snr(speech, noise, 5.0, np.random.default_rng(7))
    assert np.array_equal(a, b)
    # active-part SNR ignores the leading/trailing silence: louder noise than "whole"
    _, n_whole = mix_at_snr(speech, noise, 5.0, np.random.default_rng(1))
    _, n_act = mix_at_snr(speech, noise, 5.0, np.random.default_rng(1), mode="active")
    assert np.mean(n_act**2) > 1.9 * np.mean(n_whole**2)
    piece = crop_or_loop(np.arange(5.0), 12, np.random.default_rng(3))
    assert len(piece) == 12 and all((piece[i + 1] - piece[i]) % 5 == 1 for i in range(11))
    with pytest.raises(ValueError, match="silent"):
        mix_at_snr(speech, np.zeros(100), 5.0, np.random.default_rng(0))


def test_reverberate_aligns_on_the_direct_path():
    rng = np.random.default_rng(0)
    dry = rng.standard_normal(4000)
    h = np.zeros(900)
    h[37], h[300] = 1.0, 0.5  # direct path after 37 samples, one reflection
    wet = reverberate(dry, h)
    assert wet.shape == dry.shape
    assert abs(np.mean(wet**2) - np.mean(dry**2)) < 1e-9  # rescaled to the dry power
    lags = [np.dot(wet[k:], dry[: len(dry) - k]) for k in range(5)]
    assert int(np.argmax(lags)) == 0  # direct path lines up with the dry speech


def se_fixture(root: Path) -> dict[str, Path]:
    from laura.data.kaldi import write_data_dir

    clean = root / "librispeech" / "test_clean"
    wavs, text = {}, {}
    for i, utt in enumerate(["1089-134686-0000", "1089-134686-0001", "121-121726-0000"]):
        p = tone(
            root / "flac" / f"{utt}.flac",
            16000,
            seconds=0.5 + 0.1 * i,
            freq=200 + 50 * i,
            subtype="PCM_16",
            seed=i,
        )
        wavs[utt], text[utt] = str(p), f"SENTENCE NUMBER {i}"
    write_data_dir(
        clean,
        wav=wavs,
        text=text,
        utt2spk={u: u.split("-")[0] for u in wavs},
        extras={"utt2lang": {u: "en" for u in wavs}},
    )
    fsd = root / "FSD50K"
    gt = fsd / "FSD50K.ground_truth"
    gt.mkdir(parents=True)
    (gt / "dev.csv").write_text(
        "fname,labels,mids,split\n"
        '1001,"Dog,Domestic_animals_and_pets,Animal","/m/0bt9lr,/m/068hy,/m/0jbk",train\n'
        '1002,"Rain,Water","/m/06mb1,/m/0838f",val\n'
    )
    (gt / "eval.csv").write_text(
        "fname,labels,mids\n"
        '37199,"Engine,Vehicle","/m/02mk9,/m/07yv9"\n'
        '37200,"Male_speech_and_man_speaking,Speech,Human_voice","/m/05zppz,/m/09x0r,/m/09l8g"\n'
    )
    for part, name in (("dev", 1001), ("dev", 1002), ("eval", 37199), ("eval", 37200)):
        tone(fsd / f"FSD50K.{part}_audio" / f"{name}.wav", 44100, seconds=0.3, freq=900, seed=name)
    noisex = root / "NOISEX-92"
    tone(noisex / "babble.wav", 19980, seconds=2.0, freq=300, seed=5)
    rirs = root / "RIRS_NOISES"
    room = rirs / "simulated_rirs" / "smallroom" / "Room001"
    h = np.zeros(1600)
    h[40], h[200], h[700] = 1.0, 0.4, 0.1
    room.mkdir(parents=True)
    sf.write(room / "Room001-00001.wav", h, 16000, subtype="FLOAT")
    (rirs / "simulated_rirs" / "smallroom" / "rir_list").write_text(
        "--rir-id small-Room001-00001 --room-id small-Room001 "
        "RIRS_NOISES/simulated_rirs/smallroom/Room001/Room001-00001.wav\n"
    )
    iso = rirs / "real_rirs_isotropic_noises"
    tone(iso / "RVB2014_type1_noise_largeroom1_1.wav", 16000, seconds=0.2)  # a noise, not an RIR
    return {"clean": clean, "fsd": fsd, "noisex": noisex, "rirs": rirs}


def test_se_mixture_test_set(tmp_path):
    fx = se_fixture(tmp_path)
    prep = get_corpus("se_mixture").prepare
    dirs = prep(fx["clean"], tmp_path / "out", noise_dirs=[fx["fsd"], fx["noisex"]], seed=3)
    d = dirs["test"]
    assert_valid(d)
    kd = load_data_dir(d)
    assert kd.utt_ids == ["1089-134686-0000", "1089-134686-0001", "121-121726-0000"]
    assert kd.text["121-121726-0000"] == "SENTENCE NUMBER 2"
    assert kd.extras["utt2lang"]["1089-134686-0000"] == "en"
    noises = set(kd.extras["utt2noise"].values())
    # test split: FSD50K eval clips only, and the speech-labelled clip is never used
    assert noises <= {"fsd50k/FSD50K.eval_audio/37199.wav", "noisex-92/babble.wav"}
    for utt in kd.utt_ids:
        snr = float(kd.extras["utt2snr"][utt])
        assert 2.0 <= snr <= 15.0
        noisy, _ = sf.read(kd.wav[utt])
        clean, _ = sf.read(kd.extras["clean.scp"][utt])
        assert kd.extras["clean.scp"][utt] == load_data_dir(fx["clean"]).wav[utt]  # in place
        got = 10 * np.log10(np.mean(clean**2) / np.mean((noisy - clean) ** 2))
        assert abs(got - snr) < 0.05  # exact up to 16-bit quantisation
    # deterministic per seed, independent of the worker count
    again = prep(
        fx["clean"], tmp_path / "out2", noise_dirs=[fx["fsd"], fx["noisex"]], seed=3, num_workers=1
    )["test"]
    assert (again / "utt2snr").read_text() == (d / "utt2snr").read_text()
    for utt in kd.utt_ids:
        a = sf.read(tmp_path / "out2" / "wav" / "test" / f"{utt}.wav")[0]
        assert np.array_equal(a, sf.read(kd.wav[utt])[0])
    other = prep(fx["clean"], tmp_path / "out3", noise_dirs=[fx["fsd"], fx["noisex"]], seed=4)
    assert (other["test"] / "utt2snr").read_text() != (d / "utt2snr").read_text()


def test_se_mixture_training_with_rirs_and_fixed_snrs(tmp_path):
    fx = se_fixture(tmp_path)
    dirs = get_corpus("se_mixture").prepare(
        fx["clean"].parent,
        tmp_path / "out",
        splits=["test_clean"],
        noise_dirs=str(fx["fsd"]),
        rir_dirs=[fx["rirs"]],
        snrs="0,10",
        copies="2",
        noise_subset="train",
    )
    d = dirs["test_clean"]
    assert_valid(d)
    kd = load_data_dir(d)
    assert len(kd.utt_ids) == 6 and kd.utt_ids[0] == "1089-134686-0000-mix0"
    assert sorted(kd.extras["utt2snr"].values()) == ["0", "0", "0", "10", "10", "10"]
    assert set(kd.extras["utt2noise"].values()) == {"fsd50k/FSD50K.dev_audio/1001.wav"}
    assert set(kd.extras["utt2rir"].values()) == {
        "simulated_rirs/smallroom/Room001/Room001-00001.wav"
    }
    assert kd.utt2spk["121-121726-0000-mix1"] == "121"
    mix = (d / "mix.jsonl").read_text()
    assert mix.count('"gain"') == 6
    # a second run reuses every recorded mixture (files untouched)
    stamp = {u: os.stat(kd.wav[u]).st_mtime_ns for u in kd.utt_ids}
    get_corpus("se_mixture").prepare(
        fx["clean"].parent,
        tmp_path / "out",
        splits=["test_clean"],
        noise_dirs=[fx["fsd"]],
        rir_dirs=[fx["rirs"]],
        snrs=[0, 10],
        copies=2,
        noise_subset="train",
    )
    assert stamp == {u: os.stat(kd.wav[u]).st_mtime_ns for u in kd.utt_ids}


def test_se_mixture_errors(tmp_path):
    fx = se_fixture(tmp_path)
    prep = get_corpus("se_mixture").prepare
    with pytest.raises(DataError, match="noise_dirs is empty"):
        prep(fx["clean"], tmp_path / "out")
    (fx["fsd"] / "FSD50K.ground_truth" / "eval.csv").unlink()
    with pytest.raises(DataError, match=r"FSD50K.ground_truth/eval.csv: not found"):
        prep(fx["clean"], tmp_path / "out", noise_dirs=[fx["fsd"]])
    with pytest.raises(DataError, match=r"dev_clean/wav.scp: not found"):
        prep(fx["clean"].parent, tmp_path / "out", splits=["dev_clean"], noise_dirs=[fx["noisex"]])
