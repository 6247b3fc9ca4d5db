"""Write the text a task reads or writes, as a Kaldi text table (uttid text): the targets of a
text-output task (ASR transcripts, S2TT translations, SLU `intent | slots`, SER labels, AAC
captions with every reference) or the text inputs of an audio-output one (TTS).

What the mini recipe trains its BPE tokenizer and its text LM on (every task's text, both
languages), and what the best-constant-output baselines choose from. Utterances whose references
repeat (AAC: one clip, five captions) give one line per reference: <uttid>-ref<k>.
"""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True, help="task name (ASR, S2TT, SLU, SER, AAC, TTS ...)")
    p.add_argument("--data", nargs="+", required=True, help="Kaldi-style data dirs of the task")
    p.add_argument("--out", required=True, help="output Kaldi text table")


def run(args: argparse.Namespace) -> int:
    from laura.data.kaldi import write_table
    from laura.data.records import load_records
    from laura.data.task_text import task_texts
    from laura.data.tasks import get_task

    spec = get_task(args.task)
    lines: dict[str, str] = {}
    for d in args.data:
        records = load_records(d, validate=False, write_cache=False)
        lines.update(task_texts(spec, records, source=d))
    write_table(args.out, lines)
    print(f"{args.out}: {len(lines)} lines of {spec.name} text from {len(args.data)} data dir(s)")
    return 0
