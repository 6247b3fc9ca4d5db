"""Copy a Kaldi-style data dir keeping N utterances spread evenly over its sorted ids (every
per-utterance table filtered, spk2utt rebuilt; the manifest and token caches are not copied).

Usage: python local/subset_dir.py SRC DST N
"""

from __future__ import annotations

import sys
from pathlib import Path

from laura.data.kaldi import byte_order, read_table, write_table


def main(src: str, dst: str, n: int) -> None:
    s, d = Path(src), Path(dst)
    ids = sorted(read_table(s / "wav.scp"), key=byte_order)
    keep = set(ids[:: max(1, len(ids) // n)][:n]) if n > 0 else set(ids)
    d.mkdir(parents=True, exist_ok=True)
    for f in sorted(s.iterdir()):
        # tables only: not the manifest, nor the validation stamp (.validated.json)
        if (
            not f.is_file()
            or f.name in ("spk2utt", "spk2gender")
            or f.suffix in (".jsonl", ".json")
        ):
            continue
        table = read_table(f)
        write_table(d / f.name, {k: v for k, v in table.items() if k in keep})
    utt2spk = read_table(d / "utt2spk")
    spk2utt: dict[str, list[str]] = {}
    for u in sorted(utt2spk, key=byte_order):
        spk2utt.setdefault(utt2spk[u], []).append(u)
    write_table(d / "spk2utt", {k: " ".join(v) for k, v in spk2utt.items()})
    if (s / "spk2gender").is_file():
        g = read_table(s / "spk2gender")
        write_table(d / "spk2gender", {k: g[k] for k in spk2utt if k in g})
    print(f"{d}: {len(keep)} of {len(ids)} utterances")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
