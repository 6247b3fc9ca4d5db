"""Each of the seven per-task DataModules yields a correct batch for the LauraGPT module:
the sequence is [<sos>, inputs, <TASK>, outputs, end] with the loss on outputs and end only."""

import numpy as np
import pytest
import soundfile as sf
import torch

from laura.config import DataConfig, SourceConfig
from laura.data import datamodule as dm_mod
from laura.data.records import load_records
from laura.data.tasks import get_task
from laura.data.token_cache import fill_token_cache
from laura.nn.frontend import FrontendConfig
from laura.nn.lm import CausalLM, LMConfig
from laura.nn.sequence import build_training_sequence, collate_sequences, tokens
from laura.nn.vocab import UnifiedVocab
from laura.text.tokenizer import train_bpe

TASK_DIRS = {
    "ASR": "asr",
    "S2TT": "s2tt",
    "SLU": "slu",
    "SER": "ser",
    "AAC": "aac",
    "SE": "se",
    "TTS": "tts",
}


def fake_codec(paths):
    out = []
    for p in paths:
        x, _ = sf.read(p, dtype="float32")
        frames = max(1, len(x) // 640)
        e = np.abs(x[: frames * 640]).reshape(frames, -1).mean(1)
        out.append(torch.from_numpy((e * 1e5).astype(np.int64) % 1024)[None])
    return out


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    from conftest import have_espeak

    if not have_espeak():
        pytest.skip("espeak-ng not installed")
    from laura.minicorpus.generate import make_mini_corpus

    root = tmp_path_factory.mktemp("mini")
    make_mini_corpus(root, size="test", num_workers=2, progress=False)
    # The token extraction stage for the audio-output tasks, with a stand-in codec.
    for task, field in (("se", "clean"), ("tts", "audio")):
        d = root / task / "train"
        recs = load_records(d, validate=False, require_text=False)
        items = [(r["id"], r[field]) for r in recs]
        fill_token_cache(
            d / "codec_tokens" / field,
            items,
            fake_codec,
            n_q=1,
            frame_rate=25.0,
            codec="fake",
            progress=False,
        )
    texts = []
    for task in ("asr", "s2tt", "slu", "ser", "tts"):
        recs = load_records(root / task / "train", validate=False, require_text=False)
        for key in ("text", "text_zh", "text_en"):
            texts += [r.get(key) or "" for r in recs]
    for r in load_records(root / "aac/train", validate=False, require_text=False):
        texts.append(r["caption"])
    from laura.data.tasks import slu_target

    texts += [
        slu_target(r) for r in load_records(root / "slu/train", validate=False, require_text=False)
    ]
    texts += [
        r["emotion"] for r in load_records(root / "ser/train", validate=False, require_text=False)
    ]
    tok = train_bpe([t for t in texts if t], 300, root / "bpe")
    return root, tok


@pytest.mark.parametrize("task", list(TASK_DIRS))
def test_per_task_datamodule_batch_layout(task, mini):
    root, tok = mini
    d = str(root / TASK_DIRS[task] / "train")
    spec = get_task(task)
    vocab = UnifiedVocab(tok.vocab_size, 1024)
    recs = load_records(d, require_text=spec.needs_text)
    cls = getattr(dm_mod, f"{task}DataModule")
    dm = cls(
        DataConfig(max_seconds=30, num_workers=0),
        FrontendConfig(),
        tok,
        [d],
        (recs, []),
        audio_offset=vocab.audio_offset,
    )
    assert cls.__name__ == f"{task}DataModule" and dm.tasks == [task]
    batch = next(iter(dm.train_dataloader()))
    n = len(batch["ids"])
    assert n >= 1 and batch["tasks"] == [task] * n
    if "audio" in spec.inputs:
        assert batch["feats"].shape[0] == n and batch["feats"].shape[2] == 560
    else:
        assert batch["feats"] is None
    torch.manual_seed(0)
    lm = CausalLM(
        LMConfig(hidden_size=16, num_layers=1, num_heads=2, ffn_dim=32, vocab_size=tok.vocab_size),
        vocab.n_extra,
    )
    emb = lm.model.get_input_embeddings()
    for i in range(n):
        segs = []
        for kind, value in batch["inputs"][i]:
            if kind == "audio":
                length = int(batch["feat_lens"][value])
                segs.append(
                    __import__("laura.nn.sequence", fromlist=["Segment"]).Segment(
                        embeds=torch.zeros(length, 16)
                    )
                )
            else:
                segs.append(tokens(value))
        seq = build_training_sequence(
            vocab, segs, task, batch["targets"][i], spec.output_kind, batch["output_prefix"][i]
        )
        sb = collate_sequences([seq], emb)
        ids, mask = sb.token_ids[0], sb.loss_mask[0]
        n_in = sum(len(s) for s in segs)
        task_pos = 1 + n_in
        assert ids[0] == vocab.sos and ids[task_pos] == vocab.task_id(task)
        assert not mask[: task_pos + 1].any()  # inputs and task token carry no loss
        tgt = batch["targets"][i]
        assert mask[task_pos + 1 :].all() and int(mask.sum()) == len(tgt) + 1
        assert ids[-1] == vocab.end_token(spec.output_kind)
        out_ids = ids[task_pos + 1 : -1]
        assert torch.equal(out_ids, tgt)
        if spec.output_kind == "audio":
            assert bool(((out_ids >= vocab.audio_offset) & (out_ids < vocab.eoa)).all())
        else:
            assert bool((out_ids < vocab.n_text).all())
            assert tok.decode(tgt.tolist()).replace(" ", "") == batch["refs"][i].replace(" ", "")


def test_multitask_repeat_factors(mini):
    root, tok = mini
    src = [
        SourceConfig(task="ASR", train=[str(root / "asr/train")]),
        SourceConfig(task="SLU", train=[str(root / "slu/train")], repeat=3),
    ]
    recs = [(load_records(s.train[0]), []) for s in src]
    dm = dm_mod.LauraDataModule(
        DataConfig(max_seconds=30, num_workers=0), FrontendConfig(), tok, src, recs
    )
    ds = dm.train_dataset()
    assert len(ds) == len(recs[0][0]) + 3 * len(recs[1][0])
    seen = {"ASR": 0, "SLU": 0}
    for b in dm.train_dataloader():
        for t in b["tasks"]:
            seen[t] += 1
    assert seen == {"ASR": len(recs[0][0]), "SLU": 3 * len(recs[1][0])}


def test_token_coverage_is_checked_before_training_and_names_the_missing_prompts(mini, tmp_path):
    """A TTS training subset whose own token cache holds only its utterances, while its voice
    prompts (utt2prompt) name utterances outside it: one clear error before training (what a
    fresh `make demo` once met at its first batch as a KeyError). Linking the source's cache,
    as `laura subset-data` does when the source has one, covers the prompts."""
    from laura.data.datamodule import check_token_coverage
    from laura.data.kaldi import read_table
    from laura.data.subset import subset_data_dir
    from laura.errors import DataError

    root, _ = mini
    src = root / "tts/train"
    spec = get_task("TTS")
    sub = tmp_path / "sub"
    subset_data_dir(src, sub, 2)
    assert (sub / "codec_tokens").is_symlink()
    recs = load_records(sub, write_cache=False)
    check_token_coverage(spec, recs, [str(sub)], "codec_tokens", prompts=True)  # linked: whole
    prompts = read_table(sub / "utt2prompt")
    outside = sorted(set(prompts.values()) - set(prompts))
    assert outside  # the test is about prompts outside the subset
    # the subset's own cache, of its utterances alone
    (sub / "codec_tokens").unlink()
    fill_token_cache(
        sub / "codec_tokens/audio",
        [(r["id"], r["audio"]) for r in recs],
        fake_codec,
        n_q=1,
        frame_rate=25.0,
        codec="fake",
        progress=False,
    )
    check_token_coverage(spec, recs, [str(sub)], "codec_tokens", prompts=False)
    with pytest.raises(DataError) as e:
        check_token_coverage(spec, recs, [str(sub)], "codec_tokens", prompts=True)
    msg = str(e.value)
    assert "\n" not in msg and str(sub / "codec_tokens/audio") in msg
    assert f"no codec tokens for {len(outside)} TTS targets or voice prompts" in msg
    assert outside[0] in msg
    # no cache at all: the cache's own one-line error, a DataError too
    import shutil

    shutil.rmtree(sub / "codec_tokens")
    with pytest.raises(DataError, match="no token cache here"):
        check_token_coverage(spec, recs, [str(sub)], "codec_tokens", prompts=False)
