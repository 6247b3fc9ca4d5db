"""Task specs: what a task reads, what it writes, how a record becomes an example, how it is scored.

A spec is data held in a registry that recipes outside the package can add to
(``register_task``): seven tasks are seven small specs over one mechanism, not seven copies of a
DataModule. Records are manifest rows (see docs/data-format.md): ``audio`` (the utterance's wav),
``text``, ``lang`` and the task extras (``text_zh``, ``intent``, ``slots``, ``emotion``,
``caption``, ``clean``, ``prompt`` ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch


class Tokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...


class TokenSource(Protocol):
    """Codec tokens by utterance id: ``source[uid] -> LongTensor (n_q, frames)``."""

    def __getitem__(self, uid: str) -> torch.Tensor: ...


def _field(record: dict[str, Any], name: str, task: str) -> Any:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(
            f"utterance {record.get('id')}: no '{name}' for task {task} "
            f"(is the data dir made for {task}?)"
        )
    return value


def translation_target(record: dict[str, Any]) -> str:
    """The ``text_<lang>`` field in a language other than the source (``lang``)."""
    src = record.get("lang")
    options = sorted(
        k for k in record if k.startswith("text_") and k != f"text_{src}" and record[k]
    )
    if not options:
        raise ValueError(
            f"utterance {record.get('id')}: no translation "
            f"(text_<lang> other than {src!r}) for S2TT"
        )
    return str(record[options[0]])


def slu_target(record: dict[str, Any]) -> str:
    """``intent | type=value ; type=value`` (just the intent when there are no slots)."""
    intent = str(_field(record, "intent", "SLU")).strip()
    slots = str(record.get("slots") or "").strip()
    return intent if slots in ("", "none") else f"{intent} | {slots}"


@dataclass(frozen=True)
class TaskSpec:
    name: str  # the task token, e.g. "ASR"
    inputs: tuple[str, ...]  # record fields in sequence order: "audio" is the wav, others text
    output_kind: str  # "text" or "audio" (first-group codec tokens)
    metric: str  # how decode output is scored
    target: str = "text"  # record field with the reference (text) or whose audio is tokenised
    format_target: Callable[[dict[str, Any]], str] | None = field(default=None, compare=False)
    prompt: str | None = None  # record field naming a prompt utterance (zero-shot TTS)
    references: str | None = None  # prefix of multi-reference fields (AAC: caption1..N)

    def __post_init__(self) -> None:
        if self.output_kind not in ("text", "audio"):
            raise ValueError(f"task {self.name}: output_kind must be 'text' or 'audio'")

    @property
    def needs_text(self) -> bool:
        """Whether the data dir must hold a ``text`` table for this task."""
        return "text" in self.inputs or (self.target == "text" and self.format_target is None)

    def target_text(self, record: dict[str, Any]) -> str:
        if self.format_target is not None:
            return self.format_target(record)
        return str(_field(record, self.target, self.name)).strip()

    def references_of(self, record: dict[str, Any]) -> list[str]:
        if self.references:
            refs = [
                str(record[k])
                for k in sorted(record)
                if k.startswith(self.references)
                and k[len(self.references) :].isdigit()
                and record[k]
            ]
            if refs:
                return refs
        return [self.target_text(record)] if self.output_kind == "text" else []

    def make_example(
        self,
        record: dict[str, Any],
        tokenizer: Tokenizer,
        tokens: TokenSource | None = None,
        audio_offset: int = 0,
        use_prompt: bool = False,
        require_tokens: bool = True,
    ) -> dict[str, Any]:
        """A record -> audio to load, the input layout, target ids (unified vocabulary).

        Audio outputs also give ``codes`` (every group the token source holds, raw codec ids:
        what the vocoder learns from) and ``target_audio`` (where the reference waveform is).

        Audio inputs are listed by index into ``audio`` so that features are computed in the
        data-loader worker and all audio of a batch is padded together.
        """
        audio: list[dict[str, Any]] = []
        inputs: list[tuple[str, Any]] = []
        for name in self.inputs:
            if name == "audio":
                inputs.append(("audio", len(audio)))
                audio.append(
                    {
                        "path": record["audio"],
                        "start": record.get("start"),
                        "end": record.get("end"),
                    }
                )
            else:
                text = str(_field(record, name, self.name))
                inputs.append(("ids", torch.tensor(tokenizer.encode(text), dtype=torch.long)))
        prefix = codes = target_audio = None
        if self.output_kind == "text":
            ref = self.target_text(record)
            target = torch.tensor(tokenizer.encode(ref), dtype=torch.long)
            if target.numel() == 0:
                raise ValueError(f"utterance {record['id']}: target '{ref}' encodes to no tokens")
        else:
            if tokens is None and require_tokens:
                raise ValueError(
                    f"task {self.name}: audio targets need a codec token cache (data.token_dir)"
                )
            ref = record.get("text", "")
            if tokens is None:  # decoding without references: no target tokens
                target = torch.zeros(0, dtype=torch.long)
            else:
                codes = tokens[record["id"]]  # (groups read from the cache, frames)
                target = codes[0] + audio_offset
                if use_prompt and self.prompt and record.get(self.prompt):
                    prefix = tokens[record[self.prompt]][0] + audio_offset
            own = self.target == "audio"  # the utterance's own wav (TTS), else a path field (SE)
            target_audio = {
                "path": str(_field(record, self.target, self.name)),
                "start": record.get("start") if own else None,
                "end": record.get("end") if own else None,
            }
        return {
            "audio": audio,
            "inputs": inputs,
            "target": target,
            "prefix": prefix,
            "ref": ref,
            "codes": codes,
            "target_audio": target_audio,
        }


_REGISTRY: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec, overwrite: bool = False) -> TaskSpec:
    if spec.name in _REGISTRY and not overwrite:
        raise KeyError(f"task {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def get_task(name: str) -> TaskSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown task {name!r}; registered: {', '.join(sorted(_REGISTRY))}"
        ) from None


def registered_tasks() -> list[str]:
    return sorted(_REGISTRY)


# The paper's seven basic tasks (Table 6).
register_task(TaskSpec("ASR", inputs=("audio",), output_kind="text", metric="wer"))
register_task(
    TaskSpec(
        "S2TT",
        inputs=("audio",),
        output_kind="text",
        metric="bleu",
        target="translation",
        format_target=translation_target,
    )
)
register_task(
    TaskSpec(
        "SLU",
        inputs=("audio",),
        output_kind="text",
        metric="slu",
        target="intent",
        format_target=slu_target,
    )
)
register_task(
    TaskSpec("SER", inputs=("audio",), output_kind="text", metric="ser", target="emotion")
)
register_task(
    TaskSpec(
        "AAC",
        inputs=("audio",),
        output_kind="text",
        metric="caption",
        target="caption",
        references="caption",
    )
)
register_task(TaskSpec("SE", inputs=("audio",), output_kind="audio", metric="se", target="clean"))
register_task(
    TaskSpec(
        "TTS", inputs=("text",), output_kind="audio", metric="tts", target="audio", prompt="prompt"
    )
)


@dataclass(frozen=True)
class ChainSpec:
    """A task made of two basic ones, the first one's output the second one's input (the paper's
    "complex tasks", Section 3.4 and Appendix D): decoded step by step (``laura.chains``) and
    scored like its steps, plus its end-to-end figure."""

    name: str
    steps: tuple[str, str]
    voice_prompt: bool = False  # TTS step: the source speech is the voice prompt (personalised)

    @staticmethod
    def step_dir(task: str) -> str:
        """The sub-directory of a chain's decode dir holding the decode of step ``task``."""
        return task.lower()

    @staticmethod
    def input_dir(task: str) -> str:
        """The sub-directory of a chain's decode dir holding the data dir step ``task`` read."""
        return f"data_{task.lower()}"


CHAINS: dict[str, ChainSpec] = {}


def register_chain(spec: ChainSpec) -> ChainSpec:
    if spec.name in CHAINS or spec.name in _REGISTRY:
        raise KeyError(f"task {spec.name!r} is already registered")
    for step in spec.steps:
        get_task(step)
    CHAINS[spec.name] = spec
    return spec


# Speech-to-speech translation: S2TT, then TTS of the translation; personalised, the source
# utterance is the TTS step's voice prompt. Noise-robust ASR: SE, then ASR of the enhanced speech.
register_chain(ChainSpec("S2ST", ("S2TT", "TTS")))
register_chain(ChainSpec("S2ST-personal", ("S2TT", "TTS"), voice_prompt=True))
register_chain(ChainSpec("SE-ASR", ("SE", "ASR")))
