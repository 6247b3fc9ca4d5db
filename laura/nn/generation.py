"""Autoregressive decoding over the unified sequence, batched, with a KV cache.

Prompts are left-padded (``collate_sequences(..., pad_side="left")``) so every row appends its
next token in the same column. Each row stops at its end token or at its own maximum length
(the guard against endless loops); ``hit_max`` reports which rows were cut off, which is what the
loop ratio counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from laura.nn.lm import CausalLM
from laura.nn.sequence import SequenceBatch


@dataclass
class GenerationConfig:
    max_new_tokens: int = 200  # hard cap for every row
    temperature: float = 0.0  # 0 = greedy
    top_k: int = 0  # 0 = no top-k filter (sampling only)
    min_new_tokens: int = 0  # end token masked before this many tokens
    # Repetition guard (CosyVoice's repetition-aware sampling): a sampled token already emitted
    # ``repeat_max`` times in the last ``repeat_window`` tokens is re-drawn from the whole
    # distribution (no top-k), which breaks the loops top-k sampling falls into. 0 = off.
    repeat_window: int = 0
    repeat_max: int = 0
    use_cache: bool = True


@dataclass
class GenerationOutput:
    tokens: list[list[int]]  # generated ids per row, end token excluded
    hit_max: list[bool]  # True where the row stopped at its maximum length
    max_tokens: list[int] | None = None  # each row's maximum length
    # With generate(keep_probs=(lo, hi)): per row, the model's distribution over ids lo..hi-1 at
    # each emitted token (tokens x (hi - lo), temperature 1, renormalised within the range).
    probs: list[torch.Tensor] | None = None


@torch.no_grad()
def generate(
    lm: CausalLM,
    prompt: SequenceBatch,
    stop_ids: list[int],
    allowed: torch.Tensor | None = None,
    cfg: GenerationConfig | None = None,
    max_new_tokens: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    min_new_tokens: torch.Tensor | None = None,
    output_positions: tuple[torch.Tensor, torch.Tensor] | None = None,
    keep_probs: tuple[int, int] | None = None,
) -> GenerationOutput:
    """Decode after a left-padded prompt.

    ``output_positions``: optional (start, step) per row, (B,) each: new token k takes position
    ``start + k * step`` (time-aligned outputs) instead of following the prompt.

    ``allowed``: bool mask over the vocabulary of tokens that may be emitted (e.g. text only).
    ``max_new_tokens`` / ``min_new_tokens``: optional per-row bounds (B,), e.g. ratios of each
    input's length (a row's minimum never exceeds its cap).
    ``keep_probs``: an id range (lo, hi); the output then holds each row's distribution over it
    at every emitted token (the vocoder's posterior-mean input for audio outputs).
    """
    cfg = cfg or GenerationConfig()
    B = prompt.inputs_embeds.shape[0]
    device = prompt.inputs_embeds.device
    if not bool((prompt.attention_mask[:, -1] == 1).all()):
        raise ValueError("prompts must be left-padded (collate_sequences(pad_side='left'))")
    caps = torch.full((B,), cfg.max_new_tokens, dtype=torch.long, device=device)
    if max_new_tokens is not None:
        caps = torch.minimum(caps, max_new_tokens.to(device).long().clamp(min=1))
    mins = torch.full((B,), cfg.min_new_tokens, dtype=torch.long, device=device)
    if min_new_tokens is not None:
        mins = torch.maximum(mins, min_new_tokens.to(device).long())
    mins = torch.minimum(mins, caps - 1)
    stop = torch.tensor(stop_ids, dtype=torch.long, device=device)
    embedding = lm.model.get_input_embeddings()

    embeds = prompt.inputs_embeds
    attn = prompt.attention_mask
    pos = prompt.position_ids
    if output_positions is not None:
        pos = pos.float()
        out_start, out_step = (t.to(device=device, dtype=pos.dtype) for t in output_positions)
    past = None
    out = torch.zeros(B, 0, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    hit_max = torch.zeros(B, dtype=torch.bool, device=device)
    step_embeds, step_pos = embeds, pos
    kept: list[torch.Tensor] = []
    for step in range(int(caps.max())):
        if cfg.use_cache:
            logits, past = lm(step_embeds, attn, step_pos, past_key_values=past, use_cache=True)
        else:
            logits, _ = lm(embeds, attn, pos)
        logits = logits[:, -1].float()
        if keep_probs is not None:
            kept.append(torch.softmax(logits[:, keep_probs[0] : keep_probs[1]], dim=-1))
        if allowed is not None:
            logits = logits.masked_fill(~allowed.to(device), float("-inf"))
        early = step < mins
        if bool(early.any()):
            is_stop = torch.isin(torch.arange(logits.shape[-1], device=device), stop)
            logits = logits.masked_fill(early[:, None] & is_stop[None], float("-inf"))
        nxt = _pick(logits, cfg, generator)
        if cfg.repeat_window > 0 and cfg.repeat_max > 0 and cfg.temperature > 0 and out.shape[1]:
            recent = out[:, -cfg.repeat_window :]
            looping = (recent == nxt[:, None]).sum(1) >= cfg.repeat_max
            if bool(looping.any()):
                wide = GenerationConfig(temperature=cfg.temperature, top_k=0)
                nxt = torch.where(looping, _pick(logits, wide, generator), nxt)
        # A row that reaches its cap without stopping is cut off: that is a loop.
        at_cap = (step + 1 >= caps) & ~done & ~torch.isin(nxt, stop)
        hit_max |= at_cap
        nxt = torch.where(done, stop[0].expand_as(nxt), nxt)
        out = torch.cat([out, nxt[:, None]], dim=1)
        done |= torch.isin(nxt, stop) | at_cap
        if bool(done.all()):
            break
        new_embed = embedding(nxt)[:, None, :]
        if output_positions is None:
            new_pos = pos[:, -1:] + 1
        else:
            new_pos = (out_start + out_step * (out.shape[1] - 1))[:, None]
        attn = torch.cat([attn, torch.ones(B, 1, dtype=attn.dtype, device=device)], dim=1)
        pos = torch.cat([pos, new_pos], dim=1)
        step_embeds, step_pos = new_embed, new_pos
        if not cfg.use_cache:
            embeds = torch.cat([embeds, new_embed], dim=1)

    tokens: list[list[int]] = []
    for b in range(B):
        row = out[b].tolist()[: int(caps[b])]
        cut = next((i for i, t in enumerate(row) if t in stop_ids), len(row))
        tokens.append(row[:cut])
    probs = None
    if keep_probs is not None:
        steps = torch.stack(kept, dim=1)  # (B, steps, hi - lo)
        probs = [steps[b, : len(tokens[b])].cpu() for b in range(B)]
    return GenerationOutput(
        tokens=tokens, hit_max=hit_max.tolist(), max_tokens=caps.tolist(), probs=probs
    )


def _pick(
    logits: torch.Tensor, cfg: GenerationConfig, generator: torch.Generator | None
) -> torch.Tensor:
    if cfg.temperature <= 0:
        return logits.argmax(-1)
    logits = logits / cfg.temperature
    if cfg.top_k > 0:
        kth = logits.topk(min(cfg.top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)
