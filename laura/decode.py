"""``laura decode``: a trained experiment + a data dir -> outputs.

Text tasks write ``<out>/hyp`` and ``<out>/ref`` (Kaldi ``text`` format). Audio tasks (SE, TTS)
sample first-group codec tokens (top-k, temperature, per-task length bounds, repetition guard),
turn them (or, for ``decode.audio.posterior_mean_tasks``, the LM's code probabilities at each
step) into waveforms with a trained vocoder and the frozen codec decoder, and write
``<out>/wav/<utt>.wav``, ``<out>/wav.scp``, ``<out>/tokens`` (codec ids per utterance) and
spectrogram PNGs (input, output, reference) of the first few utterances in ``<out>/png``.
``<out>/decode.json`` has the loop ratio (share of outputs cut off at their maximum length) and
timing.

The output directory is written whole (``laura.io.staged_dir``): a decode killed midway leaves
the previous results as they were, never wavs of two runs beside a stale ``wav.scp``; a
non-empty ``<out>`` is refused unless ``overwrite``.

Relative paths recorded in an experiment (``tokenizer.path``, ``cmvn``, ... in ``config.yaml``;
``codec`` and ``tokenizer`` in a vocoder's ``vocoder.json``) are resolved against the file that
names them (``resolve_recorded_path``), so an experiment decodes from any directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from laura.artefact import resolve_recorded_path
from laura.config import ExperimentConfig, to_container
from laura.errors import ConfigError, DataError
from laura.io import (
    atomic_write_json,
    atomic_write_text,
    atomic_write_wav,
    check_output_dir,
    staged_dir,
)

# Keys of config.yaml that name files or directories (besides data dirs, unused at decode time).
_RECORDED_PATHS = ("tokenizer.path", "cmvn", "init_from", "encoder_init", "model.lm.pretrained")


def _resolve_config_paths(cfg: Any, config_file: Path, overrides: list[str] | None) -> None:
    """Resolve the path keys of a loaded config.yaml in place; keys set by a command-line
    override are the user's, relative to the current directory, and stay as given."""
    from laura.text.tokenizer import QWEN2

    given = {o.split("=", 1)[0].lstrip("+~") for o in overrides or []}
    for key in _RECORDED_PATHS:
        *parents, leaf = key.split(".")
        node = cfg
        for name in parents:
            node = getattr(node, name, None)
        value = getattr(node, leaf, None) if node is not None else None
        if (
            key in given
            or not isinstance(value, str)
            or (key == "tokenizer.path" and value == QWEN2)
        ):
            continue
        setattr(node, leaf, resolve_recorded_path(value, config_file))


def load_trained(
    exp_dir: str | Path, weights: str | Path | None = None, overrides: list[str] | None = None
) -> tuple[Any, ExperimentConfig]:
    """The trained LightningModule of an experiment, in eval mode, from safetensors weights;
    the config's recorded paths resolved against the experiment (``resolve_recorded_path``)."""
    from laura.checkpoints import load_state
    from laura.models.kinds import get_kind, load_config

    exp = Path(exp_dir)
    cfg = load_config(exp / "config.yaml", overrides, stored=True)
    _resolve_config_paths(cfg, exp / "config.yaml", overrides)
    module = get_kind(cfg.kind).for_decoding(cfg)
    path = Path(weights) if weights else exp / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no trained weights (run laura train first)")
    load_state(module, path, what="trained weights")
    module.eval()
    return module, cfg


def check_output_ids(ids: Iterable[str], data_dir: str | Path) -> None:
    """Refuse utterance ids that cannot be file names inside an output dir
    (``<out>/wav/<utt>.wav``): ``../../x``, ``a/b`` or ``/abs/x`` would write outside it. Called
    before anything is written. The data layer's readers refuse such ids too; this guards records
    from elsewhere (a manifest) at the place the file names are made."""
    from laura.data.kaldi import check_utt_id

    for uid in ids:
        problem = check_utt_id(uid)
        if problem:
            raise DataError(
                f"{data_dir}: utterance id {uid!r} {problem}; "
                "it would name a file outside the output dir"
            )


def check_data_dir_ids(data_dir: str | Path) -> None:
    """``check_output_ids`` on the ids of a data dir's tables, before the model is loaded or
    anything is written: a hostile data dir is refused first."""
    from laura.data.kaldi import read_table

    d = Path(data_dir)
    # with a segments file, wav.scp is keyed by recording: those ids never name a file
    first = "segments" if (d / "segments").is_file() else "wav.scp"
    for name in (first, "text", "utt2spk"):
        if (d / name).is_file():
            check_output_ids(list(read_table(d / name)), d)


def _table(rows: dict[str, str]) -> str:
    return "".join(f"{k} {rows[k]}\n" for k in sorted(rows))


@torch.no_grad()
def decode(
    exp_dir: str | Path,
    data_dir: str | Path,
    out_dir: str | Path,
    weights: str | Path | None = None,
    overrides: list[str] | None = None,
    task: str | None = None,
    vocoder: str | Path | None = None,
    overwrite: bool = False,
    skip_done: bool = False,
) -> dict[str, Any]:
    """Decode ``data_dir`` with the experiment into ``out_dir`` (written whole; a non-empty one is
    refused unless ``overwrite``); ``task`` defaults to the config's (``data.task``, or the only
    data source's); audio tasks need ``vocoder`` (a ``laura train kind=vocoder`` export).
    A chained task (``laura.data.tasks.CHAINS``: S2ST, SE-ASR ...) decodes its steps in turn
    (``laura.chains``). ``skip_done``: return the earlier result when ``out_dir`` holds a decode
    of the same weights, data, task, vocoder and overrides (``decode_stamp``)."""
    from laura.config import data_sources
    from laura.data.records import load_records
    from laura.data.tasks import CHAINS, get_task
    from laura.models.kinds import get_kind
    from laura.stamps import done_before

    stamp = decode_stamp(exp_dir, data_dir, task, vocoder, weights, overrides)
    done = done_before(Path(out_dir) / "decode.json", stamp) if skip_done else None
    if done is not None:
        print(f"{out_dir}: done before with the same model and data (skipped)")
        return done
    if task in CHAINS:
        from laura.chains import decode_chain

        info = decode_chain(
            exp_dir, data_dir, out_dir, task, vocoder, weights, overrides, overwrite
        )
        atomic_write_json(Path(out_dir) / "decode.json", {**info, "stamp": stamp})
        return info
    # Refused before the model is loaded (and again by staged_dir, which does the writing).
    check_output_dir(out_dir, overwrite, "decode output dir")
    module, cfg = load_trained(exp_dir, weights, overrides)
    if task is None:
        tasks = sorted({s.task for s in data_sources(cfg.data)})
        if len(tasks) > 1:
            raise ValueError(f"{exp_dir} was trained on {tasks}: choose one with --task")
        task = tasks[0] if tasks else cfg.data.task
    spec = get_task(task)
    if spec.output_kind not in get_kind(cfg.kind).decodes:
        raise ConfigError(
            f"task {task} outputs {spec.output_kind}: a kind={cfg.kind} experiment cannot decode it"
        )
    if spec.output_kind == "audio":
        if vocoder is None:
            raise ValueError(f"task {task} outputs audio: give --vocoder <vocoder dir>")
        return decode_audio(
            module, cfg, spec, data_dir, out_dir, vocoder, exp_dir, overwrite, stamp
        )
    records = load_records(
        data_dir, check_audio=True, require_text=spec.needs_text, write_cache=False
    )
    t0 = time.perf_counter()
    hyps, refs, loops, audio_sec = _decode_text(module, cfg, spec, records, Path(data_dir).name)
    elapsed = time.perf_counter() - t0
    info = {
        "exp_dir": str(exp_dir),
        "data_dir": str(data_dir),
        "task": spec.name,
        "n_utts": len(hyps),
        "loop_ratio": loops / max(1, len(hyps)),
        "seconds": elapsed,
        "rtf": elapsed / max(audio_sec, 1e-9),
        "config": to_container(cfg)["decode"],
    }
    with staged_dir(out_dir, overwrite, "decode output dir") as stage:
        atomic_write_text(stage / "hyp", _table(hyps))
        atomic_write_text(stage / "ref", _table(refs))
        atomic_write_json(stage / "decode.json", {**info, "stamp": stamp})
    return info


def decode_stamp(
    exp_dir: str | Path,
    data_dir: str | Path,
    task: str | None,
    vocoder: str | Path | None = None,
    weights: str | Path | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """What a decode is of, for ``skip_done`` (``laura.stamps``): the weights' and config's
    contents (sha256), the data dir's fingerprint (its tables' contents and its audio files'
    identity), the task, the vocoder's weights and the overrides. Missing files hash as None
    (the decode itself then reports them)."""
    from laura.stamps import dir_digest, file_digest

    exp = Path(exp_dir)
    return {
        "weights": file_digest(Path(weights) if weights else exp / "model.safetensors"),
        "config": file_digest(exp / "config.yaml"),
        "data": dir_digest(data_dir),
        "task": task,
        "vocoder": file_digest(Path(vocoder) / "model.safetensors") if vocoder else None,
        "overrides": list(overrides or []),
    }


def _decode_text(
    module: Any, cfg: Any, spec: Any, records: list[dict[str, Any]], name: str
) -> tuple[dict[str, str], dict[str, str], int, float]:
    """Hypotheses and references by utterance, the number cut off at their maximum length, and
    the seconds of audio decoded."""
    from laura.data.dataset import TaskDataset, collate
    from laura.data.samplers import DynamicBucketSampler

    ds = TaskDataset(records, spec, module.tokenizer, cfg.model.frontend, train=False)
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
    for batch in tqdm(loader, desc=f"decode {name}"):
        texts, cut = module.transcribe(batch)
        loops += sum(cut)
        for uid, ref, hyp in zip(batch["ids"], batch["refs"], texts):
            hyps[uid], refs[uid] = hyp, ref
    return hyps, refs, loops, sum(ds.durations())


@torch.no_grad()
def transcribe(
    exp_dir: str | Path, wavs: dict[str, str], langs: dict[str, str] | None = None
) -> dict[str, str]:
    """Transcripts of wav files (utterance id -> path) by a trained ASR experiment, without a data
    dir (what the ASR-based scores of SE and TTS outputs use). ``langs``: utterance -> language
    tag, for multilingual models whose input carries it."""
    import soundfile as sf

    from laura.data.tasks import get_task

    check_output_ids(wavs, "transcribe")
    module, cfg = load_trained(exp_dir)
    records = []
    for uid in sorted(wavs):
        info = sf.info(wavs[uid])
        rec = {
            "id": uid,
            "audio": str(wavs[uid]),
            "text": "-",
            "speaker": uid,
            "duration": round(info.frames / info.samplerate, 6),
        }
        if langs and langs.get(uid):
            rec["lang"] = langs[uid]
        records.append(rec)
    return _decode_text(module, cfg, get_task("ASR"), records, "transcribe")[0]


def _rms(x: torch.Tensor) -> float:
    return float(x.pow(2).mean().sqrt())


@torch.no_grad()
def decode_audio(
    module: Any,
    cfg: ExperimentConfig,
    spec: Any,
    data_dir: str | Path,
    out_dir: str | Path,
    vocoder_dir: str | Path,
    exp_dir: str | Path = "",
    overwrite: bool = False,
    stamp: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """LM -> first-group codec tokens -> vocoder -> codec decoder -> wavs (see the module doc).

    Everything is written into a hidden sibling of ``out_dir`` that replaces it at the end."""
    from dataclasses import asdict, replace

    from laura.data.dataset import TaskDataset, collate, read_audio
    from laura.data.records import load_records
    from laura.models.vocoder import batch_conditions, load_vocoder, needs_waveforms
    from laura.viz import save_spectrograms

    check_data_dir_ids(data_dir)
    a = cfg.decode.audio
    voc = load_vocoder(vocoder_dir)
    if asdict(voc.cfg.frontend) != asdict(cfg.model.frontend):
        raise ValueError(
            f"{vocoder_dir}: its frontend differs from the LM's ({cfg.tokenizer.path})"
        )
    if (
        any(c.kind == "tokens" for c in voc.cfg.vocoder.conditions)
        and Path(voc.cfg.tokenizer.path).resolve() != Path(cfg.tokenizer.path).resolve()
    ):
        raise ValueError(
            f"{vocoder_dir}: text conditions use tokenizer {voc.cfg.tokenizer.path}, "
            f"the LM {cfg.tokenizer.path}"
        )
    if spec.name not in a.len_ratios:
        raise ValueError(f"decode.audio.len_ratios has no [min, max] for task {spec.name}")
    lo, hi = a.len_ratios[spec.name]
    records = load_records(
        data_dir, check_audio=True, require_text=spec.needs_text, write_cache=False
    )
    check_output_ids([r["id"] for r in records], data_dir)
    # Zero-shot TTS: with a token cache, a prompt utterance's tokens start the output (the LM
    # continues after them; they are not part of the written audio).
    tokens = None
    if cfg.data.prompt_prob > 0 and (Path(data_dir) / cfg.data.token_dir / spec.target).is_dir():
        from laura.data.datamodule import check_token_coverage, open_token_source

        check_token_coverage(spec, records, [str(data_dir)], cfg.data.token_dir, prompts=True)
        tokens = open_token_source(spec, [str(data_dir)], cfg.data.token_dir, 1)
    ds = TaskDataset(
        records,
        spec,
        module.tokenizer,
        cfg.model.frontend,
        train=False,
        tokens=tokens,
        audio_offset=module.model.vocab.audio_offset,
        prompt_prob=cfg.data.prompt_prob,
        keep_waveforms=needs_waveforms(voc.cfg.vocoder.conditions),
    )
    vocab = module.model.vocab
    tasks = module.model.cfg.tasks
    for key, names in (
        ("top_k_by_task", list(a.top_k_by_task)),
        ("posterior_mean_tasks", a.posterior_mean_tasks),
    ):
        if set(names) - set(tasks):
            raise ValueError(
                f"decode.audio.{key}: {sorted(set(names) - set(tasks))} "
                f"are not among the model's tasks {tasks}"
            )
    soft = spec.name in a.posterior_mean_tasks
    if soft and not voc.one_step:
        raise ValueError(
            f"decode.audio.posterior_mean_tasks has {spec.name}, but {vocoder_dir} is a "
            f"{voc.cfg.vocoder.kind} vocoder: only the one-step vocoder takes code probabilities"
        )
    if soft and module.model.vocab.n_audio != voc.cfg.vocoder.codebook_size:
        raise ValueError(
            f"{vocoder_dir}: codebook size {voc.cfg.vocoder.codebook_size} "
            f"!= the LM's {module.model.vocab.n_audio} audio codes"
        )
    gen = replace(a.generation, top_k=a.top_k_by_task.get(spec.name, a.generation.top_k))
    g = torch.Generator().manual_seed(a.seed)
    # wav.scp names the wavs where they will be once the staged dir is swapped in
    final = Path(os.path.abspath(out_dir))
    sr = voc.codec.sample_rate
    scp: dict[str, str] = {}
    token_rows: dict[str, str] = {}
    loops, lengths = 0, []
    per_utt: dict[str, dict[str, Any]] = {}
    lm_sec = voc_sec = audio_sec = 0.0
    with staged_dir(out_dir, overwrite, "decode output dir") as out:
        (out / "wav").mkdir()
        for i in tqdm(range(len(ds)), desc=f"decode {spec.name} {Path(data_dir).name}"):
            batch = collate([ds[i]])
            uid = batch["ids"][0]
            t0 = time.perf_counter()
            res = module.model.generate(
                batch, gen, max_len_ratio=hi, min_len_ratio=lo, generator=g, audio_probs=soft
            )
            lm_sec += time.perf_counter() - t0
            ids = [t - vocab.audio_offset for t in res.tokens[0]]
            if any(not 0 <= t < vocab.n_audio for t in ids):
                raise RuntimeError(
                    f"utterance {uid}: the LM emitted a non-audio token in an audio output"
                )
            loops += int(res.hit_max[0])
            lengths.append(len(ids))
            cap = res.max_tokens[0] if res.max_tokens else None
            prefix = (batch.get("output_prefix") or [None])[0]
            per_utt[uid] = {
                "tokens": len(ids),
                "max_tokens": cap,
                "hit_max": bool(res.hit_max[0]),
                "prompt_frames": 0 if prefix is None else len(prefix),  # zero-shot TTS prompt
            }
            first = torch.tensor([ids or [0]], dtype=torch.long)
            if soft and ids:
                assert res.probs is not None
                first = res.probs[0][None]  # (1, F, codes): the vocoder embeds probs @ codebook
            t1 = time.perf_counter()
            cond = batch_conditions(batch, voc.cfg.vocoder.conditions, voc.cmvn, voc.codec)
            wav = voc.synthesize(first, torch.tensor([first.shape[1]]), cond)[0].float()
            voc_sec += time.perf_counter() - t1
            rec = records[i]
            noisy = None
            if "audio" in spec.inputs:
                noisy = torch.from_numpy(
                    read_audio(rec["audio"], rec.get("start"), rec.get("end"))[0]
                )
            level = _rms(noisy) if noisy is not None else a.output_rms
            wav = wav * (level / (_rms(wav) + 1e-8))
            wav = wav.clamp(-1.0, 1.0)
            audio_sec += wav.shape[0] / sr
            atomic_write_wav(out / "wav" / f"{uid}.wav", wav.numpy(), sr)
            scp[uid] = str(final / "wav" / f"{uid}.wav")
            token_rows[uid] = " ".join(map(str, ids))
            if i < a.n_pictures:
                t = batch["target_audio"][0]
                ref = read_audio(t["path"], t.get("start"), t.get("end"))[0]
                panels = ([("input (noisy)", noisy.numpy())] if noisy is not None else []) + [
                    (
                        f"output ({len(ids)} codec frames"
                        f"{', cut at max' if res.hit_max[0] else ''})",
                        wav.numpy(),
                    ),
                    ("reference", ref),
                ]
                save_spectrograms(
                    panels,
                    out / "png" / f"{uid}.png",
                    sr,
                    title=f"{spec.name} {uid}: {rec.get('text', '')}",
                )
        atomic_write_text(out / "wav.scp", _table(scp))
        atomic_write_text(out / "tokens", _table(token_rows))
        n = max(1, len(scp))
        info = {
            "exp_dir": str(exp_dir),
            "data_dir": str(data_dir),
            "task": spec.name,
            "vocoder": str(vocoder_dir),
            "n_utts": len(scp),
            "loop_ratio": loops / n,
            "mean_tokens": sum(lengths) / n,
            "lm_seconds": lm_sec,
            "vocoder_seconds": voc_sec,
            "rtf": (lm_sec + voc_sec) / max(audio_sec, 1e-9),
            "vocoder_input": "posterior_mean" if soft else "codes",
            "config": to_container(cfg)["decode"]["audio"],
            "per_utt": per_utt,
        }
        atomic_write_json(out / "decode.json", {**info, "stamp": stamp})
    return info
