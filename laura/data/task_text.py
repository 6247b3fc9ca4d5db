"""The text of a task's records: its text targets (every reference), or its text inputs."""

from __future__ import annotations

from typing import Any

from laura.data.errors import DataError
from laura.data.tasks import TaskSpec


def task_texts(spec: TaskSpec, records: list[dict[str, Any]], source: str = "") -> dict[str, str]:
    """``{line_id: text}``: for a text-output task each record's references (one line per
    reference when there are several: ``<id>-ref<k>``), for an audio-output task its text inputs
    (``<id>`` or ``<id>-<field>``). A task with no text at all is a `DataError`."""
    text_inputs = [name for name in spec.inputs if name != "audio"]
    if spec.output_kind != "text" and not text_inputs:
        raise DataError(f"task {spec.name} reads and writes no text (inputs {spec.inputs})")
    out: dict[str, str] = {}
    for rec in records:
        uid = rec["id"]
        try:
            if spec.output_kind == "text":
                refs = spec.references_of(rec)
                if len(refs) == 1:
                    out[uid] = refs[0]
                else:
                    out.update({f"{uid}-ref{k}": r for k, r in enumerate(refs, 1)})
            else:
                for name in text_inputs:
                    key = uid if len(text_inputs) == 1 else f"{uid}-{name}"
                    if not str(rec.get(name) or "").strip():
                        raise ValueError(f"utterance {uid}: no '{name}' for task {spec.name}")
                    out[key] = str(rec[name])
        except ValueError as e:
            raise DataError(f"{source}: {e}") from None
    return {k: " ".join(v.split()) for k, v in out.items() if v.strip()}
