"""Task specs: what a task reads, what it writes, and how one manifest record becomes an example.

A spec is data, held in a registry that recipes outside the package can add to
(``register_task``), so seven tasks are seven small specs over one mechanism rather than seven
copies of a DataModule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch


class Tokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...


@dataclass(frozen=True)
class TaskSpec:
    name: str  # the task token, e.g. "ASR"
    inputs: tuple[str, ...]  # record fields read as inputs, in sequence order ("audio", "text", ...)
    target: str  # record field holding the output ("text", "translation", "codes", ...)
    output_kind: str  # "text" or "audio"
    metric: str  # how decode output is scored ("wer", "bleu", "accuracy", "pesq", ...)

    def make_example(self, record: dict[str, Any], tokenizer: Tokenizer) -> dict[str, Any]:
        """A record -> {"audio": [paths...], "inputs": [("audio", k) | ("ids", ids)], "target"}.

        Audio inputs are listed by index into "audio" so feature extraction can run in the
        data-loader worker and the batch can pad all audio inputs together.
        """
        audio: list[dict[str, Any]] = []
        inputs: list[tuple[str, Any]] = []
        for field_name in self.inputs:
            if field_name == "audio":
                inputs.append(("audio", len(audio)))
                audio.append(
                    {"path": record["audio"], "start": record.get("start"), "end": record.get("end")}
                )
            else:
                text = record.get(field_name)
                if not text:
                    raise ValueError(f"utterance {record['id']}: empty '{field_name}' for task {self.name}")
                inputs.append(("ids", torch.tensor(tokenizer.encode(text), dtype=torch.long)))
        if self.output_kind == "text":
            ref = record.get(self.target)
            if not ref:
                raise ValueError(f"utterance {record['id']}: empty '{self.target}' for task {self.name}")
            target = torch.tensor(tokenizer.encode(ref), dtype=torch.long)
        else:
            raise NotImplementedError(f"{self.name}: audio targets need the codec token cache")
        return {"audio": audio, "inputs": inputs, "target": target, "ref": ref}


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
        raise KeyError(f"unknown task {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def registered_tasks() -> list[str]:
    return sorted(_REGISTRY)


register_task(TaskSpec("ASR", inputs=("audio",), target="text", output_kind="text", metric="wer"))

