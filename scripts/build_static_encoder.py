"""Build the static encoder's table (retold/sign/static.py), offline, from the installed E5 weights.

    python3 scripts/build_static_encoder.py                                # the table, with the shipped projection
    python3 scripts/build_static_encoder.py --fit ../shared/data           # refit the projection first (tune split)

The shipped table is ``retold/data/static-e5-small.npz`` (128-d, 4 bits: 17 MB), rebuilt with
``--out retold/data/static-e5-small.npz``; without ``--out`` the table goes to
``~/.cache/retold/static-e5-small.npz`` (or ``$RETOLD_STATIC_ENCODER``), which retold reads only
where none is shipped or the variable names it. The slow
step runs every piece of E5's vocabulary through E5 (250,000 short runs, 100 to 150 a second on
two busy cores: about half an hour); ``--raw-cache FILE`` keeps those vectors (370 MB), so that a
killed build resumes and other settings rebuild in seconds.

``--fit DATA`` fits the projection (the last step of the table: the directions along which
translations agree, see ``static.fit_projection``) on the line-aligned translations of the tune
split only (``retold/bench/splits.py``): WMT24 references (key ``wmt24:<doc_id>``) and WMT22
references (``wmt22_split``), and writes it to retold/data/static-e5-projection.json (about
0.5 MB), which later builds read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from retold.bench.splits import split_of, wmt22_split
from retold.sign import static

CLIP = 600


def tune_translations(data: Path) -> list[tuple[str, str]]:
    """(source line, reference line) pairs of the tune split of WMT24 and WMT22."""
    pairs: list[tuple[str, str]] = []

    def add(src: str, ref: str) -> None:
        a, b = src.split("\n"), ref.split("\n")
        if len(a) == len(b):
            pairs.extend((x.strip()[:CLIP], y.strip()[:CLIP]) for x, y in zip(a, b) if x.strip() and y.strip())

    w24 = data / "wmt24_docs" / "docs.jsonl"
    if w24.is_file():
        for line in w24.open(encoding="utf-8"):
            r = json.loads(line)
            if split_of(f"wmt24:{r['doc_id']}") == "tune":
                for ref in r["refs"].values():
                    add(r["src"], ref)
    w22 = data / "wmt22_general_docs" / "docs.jsonl"
    if w22.is_file():
        for line in w22.open(encoding="utf-8"):
            r = json.loads(line)
            if wmt22_split(r["pair"], r["doc_id"]) == "tune":
                for ref in (r.get("refs") or {}).values():
                    add(r["src"], ref["text"])
    return pairs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    static.add_build_arguments(ap)
    ap.add_argument("--fit", type=Path, metavar="DATA", help="refit the projection on the tune split of DATA first")
    ap.add_argument("--ridge", type=float, default=0.1, help="ridge of the projection's fit")
    a = ap.parse_args()
    prepared = None
    if a.fit:
        t0 = time.time()
        pairs = tune_translations(a.fit)
        if not pairs:
            raise SystemExit(f"no WMT24/WMT22 translations under {a.fit}")
        prepared = w, ids, rows, proto = static.prepare_rows(a.vocab_size, a.words, a.lang_dirs, a.power, a.raw_cache, a.threads)
        table = static.TokenTable(static.with_specials(rows), proto, w.norm, threads=a.threads or 2)
        projection = static.fit_projection(table, pairs, a.dim, a.ridge)
        info = {
            "fitted_on": f"tune split of wmt24_docs and wmt22_general_docs: {len(pairs)} line pairs",
            "command": "python3 scripts/build_static_encoder.py --fit ../shared/data" + (f" --ridge {a.ridge}" if a.ridge != 0.1 else ""),
            "ridge": a.ridge,
            "rows": {"vocab_size": int(len(ids)), "words": a.words, "lang_dirs": a.lang_dirs, "power": a.power},
        }
        path = static.write_projection(projection, info)
        print(f"projection fitted on {len(pairs)} pairs in {time.time() - t0:.0f} s: {path}", file=sys.stderr, flush=True)
    # the build reads the projection back from its file (float32), as every later build does
    static.build(a.out, a.vocab_size, a.dim, a.words, a.lang_dirs, a.power, a.raw_cache, a.threads, prepared=prepared, bits=a.bits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
