"""Greedy decoding throughput with the KV cache against the same decoder re-reading the whole
prefix every step (what LauraTTS does), measured in the same run. The goal is BENCH.goal below."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Benchmark, Goal, row, table, write  # noqa: E402

from laura.nn.generation import GenerationConfig, generate  # noqa: E402
from laura.nn.lm import CausalLM, LMConfig  # noqa: E402
from laura.nn.sequence import Segment, build_prompt, collate_sequences  # noqa: E402
from laura.nn.vocab import UnifiedVocab  # noqa: E402

BENCH = Benchmark(
    name="generation",
    compares="greedy decoding with the KV cache vs re-reading the prefix every step (4x256 Qwen2, "
    "143-position prompt, 200 tokens, batch 1 and 8)",
    goal=Goal("ratio cache/no cache", ">=", 3.0),
)


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)
    vocab = UnifiedVocab(6000, 1024)
    lm = CausalLM(
        LMConfig(hidden_size=256, num_layers=4, num_heads=4, ffn_dim=768, vocab_size=6000),
        vocab.n_extra,
    ).eval()
    allowed = vocab.allowed_mask("text")
    allowed[vocab.eos] = False  # fixed output length for a fair comparison
    rows, summary = [], []
    new_tokens = 200
    for batch in (1, 8):
        prompts = [
            build_prompt(vocab, [Segment(embeds=torch.randn(140, 256))], "ASR")
            for _ in range(batch)
        ]
        sb = collate_sequences(prompts, lm.model.get_input_embeddings(), pad_side="left")
        res = {}
        for cache in (True, False):
            cfg = GenerationConfig(max_new_tokens=new_tokens, use_cache=cache)
            generate(
                lm, sb, [vocab.eos], allowed, GenerationConfig(max_new_tokens=5, use_cache=cache)
            )
            t0 = time.perf_counter()
            generate(lm, sb, [vocab.eos], allowed, cfg)
            res[cache] = batch * new_tokens / (time.perf_counter() - t0)
        rows.append(
            {
                "batch": batch,
                "prompt": 143,
                "new_tokens": new_tokens,
                "kv_cache_tok_s": res[True],
                "no_cache_tok_s": res[False],
                "speedup": res[True] / res[False],
            }
        )
        summary.append(
            row(
                f"greedy decoding, batch {batch}, {new_tokens} tokens",
                res[True],
                "tokens/s",
                reference=res[False],
                reference_label="without KV cache",
                ratio=res[True] / res[False],
                ratio_of="cache / no cache",
                goal=BENCH.goal,
            )
        )
    notes = f"4x256 Qwen2 LM, vocab 7033; speedup = cache / no cache; goal: {BENCH.goal.text}"
    columns = ["batch", "prompt", "new_tokens", "kv_cache_tok_s", "no_cache_tok_s", "speedup"]
    write(BENCH, summary, [table("greedy_generation", rows, columns, notes)], notes)


if __name__ == "__main__":
    main()
