"""Score a decode dir per language (utt2lang of the data dir): WER for English, CER for Mandarin,
for all test utterances and for those spoken by held-out voices (speakers.tsv of the mini corpus).

Prints a Markdown table and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from laura.data.kaldi import read_table
from laura.metrics.wer import score_pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--decode", required=True, help="dir with hyp, ref and decode.json")
    ap.add_argument("--data", required=True, help="data dir with utt2lang and utt2spk")
    ap.add_argument("--speakers", default=None, help="speakers.tsv with a heldout column")
    ap.add_argument("--out", required=True, help="JSON output")
    ap.add_argument("--label", default="", help="model name for the table")
    args = ap.parse_args()
    dec, data = Path(args.decode), Path(args.data)
    refs, hyps = read_table(dec / "ref"), read_table(dec / "hyp")
    langs = read_table(data / "utt2lang") if (data / "utt2lang").is_file() else {u: "auto" for u in refs}
    utt2spk = read_table(data / "utt2spk")
    heldout: set[str] = set()
    if args.speakers and Path(args.speakers).is_file():
        with open(args.speakers, newline="") as f:
            heldout = {r["spk"] for r in csv.DictReader(f, delimiter="\t") if r.get("heldout") in ("1", "True", "true")}
    info = json.loads((dec / "decode.json").read_text()) if (dec / "decode.json").is_file() else {}
    rows = []
    for lang in sorted(set(langs.values())):
        for group in ("all voices", "held-out voices"):
            ids = [u for u in refs if langs.get(u) == lang and (group == "all voices" or utt2spk.get(u) in heldout)]
            if not ids:
                continue
            r = score_pairs({u: refs[u] for u in ids}, {u: hyps[u] for u in ids if u in hyps}, lang=lang)
            rows.append({"lang": lang, "group": group, **r})
    print("| model | lang | voices | metric | error rate | sub | ins | del | utts | loop ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {args.label} | {r['lang']} | {r['group']} | {r['metric'].upper()} | {100 * r['rate']:.1f}% "
            f"| {r['sub']} | {r['ins']} | {r['del']} | {r['n_utts']} | {info.get('loop_ratio', 0):.3f} |"
        )
    out = Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps({"rows": rows, "decode": info}, indent=2, default=str))
    tmp.replace(out)


if __name__ == "__main__":
    main()
