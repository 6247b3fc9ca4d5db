import json

import numpy as np
import pytest
import soundfile as sf
import torch

from laura.data.token_cache import TokenCache, TokenCacheError, fill_token_cache


def fake_codec(paths):
    """A stand-in token source: 25 Hz frames, 4 groups, codes from frame energy."""
    out = []
    for p in paths:
        x, _ = sf.read(p, dtype="float32")
        frames = len(x) // 640
        e = np.abs(x[: frames * 640]).reshape(frames, 640).mean(1)
        base = torch.from_numpy((e * 1e4).astype(np.int64) % 1024)
        out.append(torch.stack([(base + k * 7) % 1024 for k in range(4)]))
    return out


@pytest.fixture
def wavs(tmp_path):
    rng = np.random.default_rng(0)
    items = []
    for i in range(11):
        p = tmp_path / f"u{i:02d}.wav"
        sf.write(p, rng.uniform(-0.5, 0.5, 16000 + 640 * i).astype(np.float32), 16000)
        items.append((f"u{i:02d}", str(p)))
    return items


def test_fill_and_read(wavs, tmp_path):
    out = fill_token_cache(
        tmp_path / "cache",
        wavs,
        fake_codec,
        n_q=4,
        frame_rate=25.0,
        codec="fake",
        shard_size=4,
        progress=False,
    )
    cache = TokenCache(out)
    assert len(cache) == 11 and "u03" in cache
    want = fake_codec([wavs[3][1]])[0]
    assert torch.equal(cache["u03"], want)
    assert cache["u10"].shape == (4, 25 + 10)
    assert TokenCache(out, n_q=1)["u03"].shape == (1, 25 + 3)
    with pytest.raises(KeyError, match="nope"):
        cache["nope"]
    with pytest.raises(TokenCacheError, match="4 groups, 8 requested"):
        TokenCache(out, n_q=8)


def test_interrupted_fill_resumes(wavs, tmp_path):
    calls = {"n": 0}

    def flaky(paths):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return fake_codec(paths)

    with pytest.raises(RuntimeError, match="killed"):
        fill_token_cache(
            tmp_path / "c",
            wavs,
            flaky,
            n_q=4,
            frame_rate=25.0,
            codec="fake",
            shard_size=4,
            batch_size=2,
            progress=False,
        )
    info = json.loads((tmp_path / "c/info.json").read_text())
    assert info["shards"] == ["shard-00000.safetensors"]  # only the complete shard is listed
    with pytest.raises(TokenCacheError, match="incomplete"):
        TokenCache(tmp_path / "c")
    seen = []

    def counting(paths):
        seen.extend(paths)
        return fake_codec(paths)

    fill_token_cache(
        tmp_path / "c",
        wavs,
        counting,
        n_q=4,
        frame_rate=25.0,
        codec="fake",
        shard_size=4,
        batch_size=2,
        progress=False,
    )
    assert len(seen) == 7  # only the two missing shards were encoded
    assert len(TokenCache(tmp_path / "c")) == 11


def test_cache_made_differently_is_refused(wavs, tmp_path):
    fill_token_cache(
        tmp_path / "c", wavs, fake_codec, n_q=4, frame_rate=25.0, codec="fake", progress=False
    )
    with pytest.raises(TokenCacheError, match="made differently"):
        fill_token_cache(
            tmp_path / "c", wavs, fake_codec, n_q=4, frame_rate=25.0, codec="other", progress=False
        )


def test_bad_codes_rejected(wavs, tmp_path):
    with pytest.raises(TokenCacheError, match="expected \\(4, frames\\)"):
        fill_token_cache(
            tmp_path / "c",
            wavs,
            lambda ps: [torch.zeros(3, 5, dtype=torch.long) for _ in ps],
            n_q=4,
            frame_rate=25.0,
            codec="x",
            progress=False,
        )
