"""Score a decode dir per language (utt2lang of the data dir): WER for English, CER for Mandarin.

Prints a Markdown table and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from laura.data.kaldi import read_table
from laura.metrics.wer import score_pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--decode", required=True, help="dir with hyp and ref")
    ap.add_argument("--data", required=True, help="data dir with utt2lang")
    ap.add_argument("--out", required=True, help="JSON output")
    args = ap.parse_args()
    dec, data = Path(args.decode), Path(args.data)
    refs, hyps = read_table(dec / "ref"), read_table(dec / "hyp")
    langs = read_table(data / "utt2lang") if (data / "utt2lang").is_file() else {u: "auto" for u in refs}
    info = json.loads((dec / "decode.json").read_text()) if (dec / "decode.json").is_file() else {}
    rows = {}
    for lang in sorted(set(langs.values())):
        ids = [u for u in refs if langs.get(u) == lang]
        r = score_pairs({u: refs[u] for u in ids}, {u: hyps.get(u, "") for u in ids if u in hyps}, lang=lang)
        rows[lang] = r
    print(f"| test split | metric | error rate | sub | ins | del | utts | loop ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for lang, r in rows.items():
        print(
            f"| {lang} | {r['metric'].upper()} | {100 * r['rate']:.1f}% | {r['sub']} | {r['ins']} | {r['del']} "
            f"| {r['n_utts']} | {info.get('loop_ratio', 0):.3f} |"
        )
    out = Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps({"by_lang": rows, "decode": info}, indent=2, default=str))
    tmp.replace(out)


if __name__ == "__main__":
    main()
