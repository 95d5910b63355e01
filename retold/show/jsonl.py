"""The machine-readable output contract: DIR/pairs.jsonl, DIR/groups.jsonl, DIR/articles.jsonl.

Documented in the README; later tools (the report, outside checks) read only these files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from retold.model import Article, Group, Passage, Pair, ScanResult


def _write_atomic(path: Path, lines: list[str]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line)
            f.write("\n")
    os.replace(tmp, path)


def article_records(result: ScanResult) -> list[dict]:
    """The articles.jsonl records of a scan: metadata, language, the text as ingested, boilerplate spans."""
    recs = []
    for d in result.docs.values():
        rec = d.article.to_dict()
        rec["lang"] = d.lang
        rec["text"] = d.article.text
        rec["boilerplate"] = [[int(a), int(b)] for (a, b), bo in zip(d.sent_spans, d.sent_boiler) if bo]
        recs.append(rec)
    return recs


def write_outputs(result: ScanResult, out_dir: str | Path, with_features: bool = True) -> dict[str, Path]:
    """Write the three JSONL files; each appears whole or not at all."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"pairs": out / "pairs.jsonl", "groups": out / "groups.jsonl", "articles": out / "articles.jsonl"}
    _write_atomic(
        paths["pairs"],
        [json.dumps(p.to_dict(with_features), ensure_ascii=False) for p in result.pairs],
    )
    _write_atomic(paths["groups"], [json.dumps(g.to_dict(), ensure_ascii=False) for g in result.groups])
    _write_atomic(paths["articles"], [json.dumps(rec, ensure_ascii=False) for rec in article_records(result)])
    return paths


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_outputs(out_dir: str | Path) -> tuple[list[dict], list[Pair], list[Group]]:
    """Read a scan's output folder back: (article records, pairs, groups)."""
    out = Path(out_dir)
    pairs = []
    for r in _read_jsonl(out / "pairs.jsonl"):
        pairs.append(
            Pair(
                a=r["a"],
                b=r["b"],
                relation=r["relation"],
                score=r["score"],
                coverage_a=r["coverage_a"],
                coverage_b=r["coverage_b"],
                direction=r.get("direction"),
                passages=[Passage(**p) for p in r.get("passages", [])],
                features=r.get("features", {}),
                basis=r.get("basis", "compared"),
                decided=r.get("decided"),
            )
        )
    groups = [Group(**r) for r in _read_jsonl(out / "groups.jsonl")]
    return _read_jsonl(out / "articles.jsonl"), pairs, groups


__all__ = ["write_outputs", "read_outputs", "article_records", "Article"]
