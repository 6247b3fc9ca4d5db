"""The offline mini corpus: espeak-ng speech from a bilingual parallel grammar, in Kaldi layout.

Entry point: :func:`laura.data.mini.generate.make_mini_corpus` (also re-exported here, imported
lazily so ``python -m laura.data.mini.generate`` and light imports stay clean).
"""

from typing import Any

__all__ = [
    "GENERATOR_VERSION",
    "SIZES",
    "TASK_BUILDERS",
    "BuildContext",
    "Utterance",
    "make_mini_corpus",
    "register_task",
    "verify_corpus",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from laura.data.mini import generate

        return getattr(generate, name)
    raise AttributeError(f"module 'laura.data.mini' has no attribute {name!r}")
