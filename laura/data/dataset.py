"""Map-style dataset over manifest records: audio is read and turned into LFR features in the
data-loader worker; the collate function pads every audio input of a batch together."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import soundfile as sf
import torch

from laura.data.tasks import TaskSpec, Tokenizer, TokenSource
from laura.errors import DataError
from laura.nn.frontend import FrontendConfig, WavFrontend


def read_audio(
    path: str, start: float | None = None, end: float | None = None
) -> tuple[np.ndarray, int]:
    """Mono float32 samples (and the sample rate) of a file or of a [start, end) segment."""
    try:
        info = sf.info(path)
        first = int(round(start * info.samplerate)) if start else 0
        last = int(round(end * info.samplerate)) if end else -1
        wav, sr = sf.read(
            path, start=first, stop=None if last < 0 else last, dtype="float32", always_2d=True
        )
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise OSError(f"{path}: cannot read audio ({err})") from err
    return wav.mean(axis=1) if wav.shape[1] > 1 else wav[:, 0], sr


def speed_perturb(wav: torch.Tensor, sr: int, factor: float) -> torch.Tensor:
    """Kaldi-style speed perturbation: tempo and pitch change together."""
    if factor == 1.0:
        return wav
    import torchaudio.functional as AF

    # Playing `sr * factor` samples per second and resampling back to `sr`.
    src = int(round(sr * factor / 100)) * 100
    return AF.resample(wav, orig_freq=src, new_freq=sr)


class TaskDataset(torch.utils.data.Dataset):
    def __init__(
        self,
        records: Sequence[dict[str, Any]],
        task: TaskSpec,
        tokenizer: Tokenizer,
        frontend: FrontendConfig,
        train: bool = False,
        speed_factors: Sequence[float] = (1.0,),
        tokens: TokenSource | None = None,
        audio_offset: int = 0,
        prompt_prob: float = 0.0,
        keep_waveforms: bool = False,
    ) -> None:
        self.records = list(records)
        self.task = task
        self.tokenizer = tokenizer
        self.frontend = WavFrontend(frontend)
        self.sample_rate = frontend.sample_rate
        self.train = train
        self.speed_factors = tuple(speed_factors)
        self.tokens = tokens
        self.audio_offset = audio_offset
        self.prompt_prob = prompt_prob
        self.keep_waveforms = keep_waveforms  # also return the input audio (codec conditions)

    def __len__(self) -> int:
        return len(self.records)

    def durations(self) -> list[float]:
        return [float(r["duration"]) for r in self.records]

    def __getitem__(self, item: int | tuple[int, int]) -> dict[str, Any]:
        """``item``: an index, or ``(index, seed)`` from a sampler with item seeds: then every
        random choice for this example (prompt, speed factor, dither) follows from the seed."""
        i, seed = item if isinstance(item, tuple) else (item, None)
        if seed is None:
            return self._example(i, random)  # type: ignore[arg-type]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self._example(i, random.Random(seed))

    def _example(self, i: int, rng: random.Random) -> dict[str, Any]:
        rec = self.records[i]
        use_prompt = self.prompt_prob > 0 and (not self.train or rng.random() < self.prompt_prob)
        ex = self.task.make_example(
            rec,
            self.tokenizer,
            self.tokens,
            self.audio_offset,
            use_prompt,
            require_tokens=self.train,
        )
        feats, wavs = [], []
        for a in ex["audio"]:
            wav, sr = read_audio(a["path"], a.get("start"), a.get("end"))
            if not np.isfinite(wav).all():  # would make features, CMVN, loss and weights NaN
                raise DataError(f"{a['path']}: utterance {rec['id']}: NaN/Inf samples")
            if sr != self.sample_rate:
                raise ValueError(
                    f"utterance {rec['id']}: {a['path']} has sample rate {sr}, "
                    f"expected {self.sample_rate}"
                )
            x = torch.from_numpy(wav)
            # Audio outputs (SE) are time-aligned with the input: perturbing only the input
            # would break that, so speed perturbation is for text-output tasks.
            if self.train and len(self.speed_factors) > 1 and self.task.output_kind == "text":
                x = speed_perturb(x, sr, rng.choice(self.speed_factors))
            feats.append(self.frontend(x, train=self.train))
            if self.keep_waveforms:
                wavs.append(x)
        return {
            "id": rec["id"],
            "task": self.task.name,
            "feats": feats,
            "inputs": ex["inputs"],
            "target": ex["target"],
            "prefix": ex["prefix"],
            "output_kind": self.task.output_kind,
            "ref": ex["ref"],
            "lang": rec.get("lang"),
            "codes": ex["codes"],
            "target_audio": ex["target_audio"],
            "wavs": wavs,
        }


def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pad all audio inputs of the batch into one tensor and point each example at its rows."""
    feats: list[torch.Tensor] = []
    wavs: list[torch.Tensor] = []
    inputs: list[list[tuple[str, Any]]] = []
    for it in items:
        base = len(feats)
        feats.extend(it["feats"])
        wavs.extend(it.get("wavs") or [])
        inputs.append([(k, base + v) if k == "audio" else (k, v) for k, v in it["inputs"]])
    batch: dict[str, Any] = {
        "ids": [it["id"] for it in items],
        "tasks": [it["task"] for it in items],
        "inputs": inputs,
        "targets": [it["target"] for it in items],
        "output_kinds": [it["output_kind"] for it in items],
        "output_prefix": [it.get("prefix") for it in items],
        "refs": [it["ref"] for it in items],
        "langs": [it.get("lang") for it in items],
        "codes": [it.get("codes") for it in items],  # (n_q, frames) of audio outputs, else None
        "target_audio": [it.get("target_audio") for it in items],
        "wavs": wavs if len(wavs) == len(feats) else None,  # input waveforms, rows as in feats
        "feats": None,
        "feat_lens": None,
    }
    if feats:
        lens = torch.tensor([f.shape[0] for f in feats], dtype=torch.long)
        out = torch.zeros(len(feats), int(lens.max()), feats[0].shape[1])
        for k, f in enumerate(feats):
            out[k, : f.shape[0]] = f
        batch["feats"], batch["feat_lens"] = out, lens
    return batch
