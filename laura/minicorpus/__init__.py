"""The offline mini corpus: the seven LauraGPT tasks (ASR, S2TT, SLU, SER, AAC, SE, TTS) made
offline from espeak-ng speech (a bilingual parallel grammar, SLURP-like commands, emotional
prosody), numpy sound scenes and sox noise, in Kaldi layout.

Entry point: :func:`laura.minicorpus.generate.make_mini_corpus` (also re-exported here, imported
lazily so light imports stay clean; the command is ``laura mini-corpus``).
"""

from typing import Any

__all__ = [
    "GENERATOR_VERSION",
    "SIZES",
    "BUILD_ORDER",
    "BUILDERS",
    "BuildContext",
    "Utterance",
    "default_tasks",
    "make_mini_corpus",
    "register_builder",
    "verify_corpus",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from laura.minicorpus import core, generate

        return getattr(generate if hasattr(generate, name) else core, name)
    raise AttributeError(f"module 'laura.minicorpus' has no attribute {name!r}")
