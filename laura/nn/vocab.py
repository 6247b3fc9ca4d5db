"""The unified output vocabulary: text tokens, then audio tokens, then special and task tokens.

The LM's output layer W is (N text + M audio + L task) x D (paper, Section 3.1). We lay the ids
out in that order so a pre-trained LM keeps its text ids unchanged:

    [0, N)              text tokens (the LM's own embedding rows, padding rows included)
    [N, N + M)          audio tokens: the first codec group, code c -> N + c
    N + M               end-of-audio
    N + M + 1 ...       <sos>, <eos>, then one token per task (<ASR>, <S2TT>, ...)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

TASKS: tuple[str, ...] = ("ASR", "S2TT", "SE", "TTS", "AAC", "SER", "SLU")
SPECIALS: tuple[str, ...] = ("<sos>", "<eos>")


@dataclass(frozen=True)
class UnifiedVocab:
    n_text: int
    n_audio: int = 1024
    tasks: tuple[str, ...] = field(default=TASKS)

    def __post_init__(self) -> None:
        if self.n_text <= 0 or self.n_audio < 0:
            raise ValueError(f"bad vocabulary sizes: n_text={self.n_text}, n_audio={self.n_audio}")
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"duplicate task names in {self.tasks}")

    # --- ranges -----------------------------------------------------------------------------
    @property
    def audio_offset(self) -> int:
        return self.n_text

    @property
    def eoa(self) -> int:
        """End-of-audio: ends audio outputs (it shares the audio block of the output layer)."""
        return self.n_text + self.n_audio

    @property
    def special_offset(self) -> int:
        return self.eoa + 1

    @property
    def sos(self) -> int:
        return self.special_offset

    @property
    def eos(self) -> int:
        """End of a text output."""
        return self.special_offset + 1

    @property
    def n_extra(self) -> int:
        """Rows added on top of the text vocabulary."""
        return self.n_audio + 1 + len(SPECIALS) + len(self.tasks)

    @property
    def size(self) -> int:
        return self.n_text + self.n_extra

    def task_id(self, task: str) -> int:
        try:
            return self.special_offset + len(SPECIALS) + self.tasks.index(task)
        except ValueError:
            raise KeyError(f"unknown task {task!r}; known tasks: {', '.join(self.tasks)}") from None

    def end_token(self, output_kind: str) -> int:
        if output_kind == "text":
            return self.eos
        if output_kind == "audio":
            return self.eoa
        raise ValueError(f"output kind must be 'text' or 'audio', got {output_kind!r}")

    # --- conversions ------------------------------------------------------------------------
    def audio_to_ids(self, codes: torch.Tensor) -> torch.Tensor:
        if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= self.n_audio):
            raise ValueError(f"codec codes must lie in [0, {self.n_audio})")
        return codes.long() + self.audio_offset

    def ids_to_audio(self, ids: torch.Tensor) -> torch.Tensor:
        return ids.long() - self.audio_offset

    def allowed_mask(self, output_kind: str, device: torch.device | None = None) -> torch.Tensor:
        """Boolean (size,) mask of the tokens a decoder may emit for this kind of output."""
        mask = torch.zeros(self.size, dtype=torch.bool, device=device)
        if output_kind == "text":
            mask[: self.n_text] = True
            mask[self.eos] = True
        elif output_kind == "audio":
            mask[self.audio_offset : self.eoa + 1] = True
        else:
            raise ValueError(f"output kind must be 'text' or 'audio', got {output_kind!r}")
        return mask

    def describe(self) -> dict[str, int]:
        return {
            "text": self.n_text,
            "audio": self.n_audio + 1,
            "special": len(SPECIALS),
            "task": len(self.tasks),
            "total": self.size,
        }
