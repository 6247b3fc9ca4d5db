"""``laura decode``: a trained experiment + a data dir -> hypotheses (Kaldi ``text`` format).

Writes ``<out>/hyp`` and ``<out>/ref`` (atomically) and ``<out>/decode.json`` with the loop
ratio (share of outputs cut off at the maximum length) and timing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from laura.config import ExperimentConfig, load_config, to_container, to_object


def load_trained(
    exp_dir: str | Path, weights: str | Path | None = None, overrides: list[str] | None = None
) -> tuple[Any, ExperimentConfig]:
    """The trained LightningModule of an experiment, in eval mode, from safetensors weights."""
    from safetensors.torch import load_model

    from laura.text.tokenizer import TextTokenizer
    from laura.train import build_module

    exp = Path(exp_dir)
    cfg = to_object(load_config(exp / "config.yaml", overrides))
    module = build_module(cfg, TextTokenizer(cfg.tokenizer.path))
    path = Path(weights) if weights else exp / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no trained weights (run laura train first)")
    if path.suffix == ".ckpt":
        state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
        module.load_state_dict(state)
    else:
        load_model(module, str(path))
    module.eval()
    return module, cfg


def _write_text(path: Path, rows: dict[str, str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{k} {rows[k]}\n" for k in sorted(rows)), encoding="utf-8")
    tmp.replace(path)


@torch.no_grad()
def decode(
    exp_dir: str | Path,
    data_dir: str | Path,
    out_dir: str | Path,
    weights: str | Path | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    from laura.data.dataset import TaskDataset, collate
    from laura.data.prepare import load_records
    from laura.data.samplers import DynamicBucketSampler
    from laura.data.tasks import get_task

    module, cfg = load_trained(exp_dir, weights, overrides)
    task = get_task(cfg.data.task)
    if task.output_kind != "text":
        raise NotImplementedError(
            f"decoding {task.name} (audio output) needs the codec and vocoder"
        )
    records = load_records(data_dir, check_audio=True, require_text=task.needs_text)
    ds = TaskDataset(records, task, module.tokenizer, cfg.model.frontend, train=False)
    sampler = DynamicBucketSampler(
        ds.durations(),
        max_seconds=1e9,
        max_batch_size=cfg.decode.batch_size,
        num_buckets=1,
        shuffle=False,
    )
    loader = torch.utils.data.DataLoader(
        ds, batch_sampler=sampler, collate_fn=collate, num_workers=0
    )
    hyps: dict[str, str] = {}
    refs: dict[str, str] = {}
    loops = 0
    t0 = time.perf_counter()
    audio_sec = sum(ds.durations())
    for batch in tqdm(loader, desc=f"decode {Path(data_dir).name}"):
        if cfg.kind == "encoder_ctc":
            texts = module.transcribe(batch)
        else:
            from laura.nn.generation import GenerationConfig

            d = cfg.decode
            gen = GenerationConfig(
                max_new_tokens=d.max_new_tokens, temperature=d.temperature, top_k=d.top_k
            )
            out = module.model.generate(batch, gen, max_len_ratio=d.max_len_ratio)
            texts = [module.tokenizer.decode(t) for t in out.tokens]
            loops += sum(out.hit_max)
        for uid, ref, hyp in zip(batch["ids"], batch["refs"], texts):
            hyps[uid], refs[uid] = hyp, ref
    elapsed = time.perf_counter() - t0
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_text(out / "hyp", hyps)
    _write_text(out / "ref", refs)
    info = {
        "exp_dir": str(exp_dir),
        "data_dir": str(data_dir),
        "n_utts": len(hyps),
        "loop_ratio": loops / max(1, len(hyps)),
        "seconds": elapsed,
        "rtf": elapsed / max(audio_sec, 1e-9),
        "config": to_container(cfg)["decode"],
    }
    tmp = out / "decode.json.tmp"
    tmp.write_text(json.dumps(info, indent=2))
    tmp.replace(out / "decode.json")
    return info
