"""The offline mini corpus: the seven LauraGPT tasks (ASR, S2TT, SLU, SER, AAC, SE, TTS) made
offline from espeak-ng speech (a bilingual parallel grammar, SLURP-like commands, emotional
prosody), numpy sound scenes and sox noise, in Kaldi layout.

Entry point: :func:`laura.data.mini.generate.make_mini_corpus` (also re-exported here, imported
lazily so ``python -m laura.data.mini.generate`` and light imports stay clean).
"""

from typing import Any

__all__ = [
    "GENERATOR_VERSION",
    "SIZES",
    "TASKS",
    "TASK_BUILDERS",
    "BuildContext",
    "Utterance",
    "default_tasks",
    "make_mini_corpus",
    "register_task",
    "verify_corpus",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from laura.data.mini import generate

        return getattr(generate, name)
    raise AttributeError(f"module 'laura.data.mini' has no attribute {name!r}")
