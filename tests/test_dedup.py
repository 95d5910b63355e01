"""retold dedup: one article of every reuse cluster stays, the corpus is written back in its own format.

The corpus is built from real texts of the shared data (ECB+ reports, a WMT22 German news
text and its French reference translation), with derived copies of known kinds: an exact
copy, a copy under another site's header and footer, a light edit, an excerpt, and the
translation. Tests that need the data skip cleanly when it is absent.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import retold
from retold.config import Settings
from retold.model import Pair
from retold.pipeline import dedup
from retold.show.dedup import DedupError, Member, parse_drop, plan_removals

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ALL = "duplicate,near_duplicate,partial,rewrite,translation"
_SENT = re.compile(r"(?<=[.!?])\s+")


def _need_data() -> None:
    for f in ("ecbplus/docs.jsonl", "wmt22_general_docs/docs.jsonl"):
        if not (DATA / f).exists():
            pytest.skip(f"{DATA / f} not found (shared data absent)")


def _ecb_texts(n: int) -> list[str]:
    """The first long report of each of ``n`` ECB+ topics (distinct events, no reuse between them)."""
    by_topic: dict[int, str] = {}
    with open(DATA / "ecbplus" / "docs.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            text = ((d.get("title") or "") + "\n" + (d.get("text") or "")).strip()
            if len(text.split()) >= 150 and len(_SENT.split(text)) >= 6 and d["topic"] not in by_topic:
                by_topic[d["topic"]] = text
    return [by_topic[t] for t in sorted(by_topic)[:n]]


def _translation() -> tuple[str, str]:
    """A WMT22 German news text and its French reference translation."""
    with open(DATA / "wmt22_general_docs" / "docs.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["pair"] == "de-fr" and d.get("domain") == "news" and 120 <= len(d["src"].split()) <= 600:
                ref = next(iter(d["refs"].values()))["text"]
                return d["src"], ref
    pytest.skip("no de-fr news document in the WMT22 data")


def _edit(text: str) -> str:
    """About 5% of the words replaced and one sentence dropped: a light edit."""
    sents = _SENT.split(text)
    del sents[len(sents) // 2]
    words = " ".join(sents).split(" ")
    for k in range(7, len(words), 20):
        words[k] = "reportedly"
    return " ".join(words)


def _excerpt(text: str) -> str:
    sents = _SENT.split(text)
    return " ".join(sents[: max(3, int(len(sents) * 0.45))])


def corpus() -> tuple[list[dict], set[str], set[str]]:
    """(records, ids of originals, ids of derived copies): 6 ECB+ originals, 4 copies of them,
    a German original and its French translation. Originals are dated before their copies."""
    _need_data()
    o = _ecb_texts(6)
    if len(o) < 6:
        pytest.skip("too few long ECB+ reports")
    de, fr = _translation()
    day = datetime(2024, 1, 1, 8, 0)
    recs: list[dict] = []

    def add(rid: str, text: str, days: int, **extra) -> None:
        recs.append({"id": rid, "text": text, "published": (day + timedelta(days=days)).isoformat(), **extra})

    for k, t in enumerate(o):
        add(f"orig{k}", t, k, extra={"n": k, "tags": ["original"]})
    add("de-src", de, 2)
    add("copy-exact", o[0], 10, extra={"n": 10})
    add("copy-boiler", f"Metro Wire | 12.02.2024 | Share this article\n\n{o[1]}\n\n(c) 2024 Metro Wire. All rights reserved.", 11)
    add("copy-edit", _edit(o[2]), 12, extra=None)
    add("copy-excerpt", _excerpt(o[3]), 13, extra={"kind": "excerpt"})
    add("fr-translation", fr, 14)
    originals = {f"orig{k}" for k in range(6)} | {"de-src"}
    derived = {"copy-exact", "copy-boiler", "copy-edit", "copy-excerpt", "fr-translation"}
    return recs, originals, derived


def _write_jsonl(path: Path, recs: list[dict]) -> list[bytes]:
    """JSON lines in several styles (key order, spacing, escapes), to check they come back byte for byte."""
    lines = []
    for k, r in enumerate(recs):
        if k % 3 == 0:
            s = json.dumps(r, ensure_ascii=False)
        elif k % 3 == 1:
            s = json.dumps(dict(reversed(list(r.items()))), ensure_ascii=True, separators=(",", ":"))
        else:
            s = json.dumps(r, ensure_ascii=False, indent=None, separators=(", ", " : "))
        lines.append((s + ("\r\n" if k % 4 == 3 else "\n")).encode("utf-8"))
    path.write_bytes(b"".join(lines))
    return lines


def _write_csv(path: Path, recs: list[dict]) -> list[str]:
    cols = ["id", "published", "text", "extra_col", "num"]
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(cols)
    rows = []
    for k, r in enumerate(recs):
        row = [r["id"], r["published"], r["text"], f"x;{k};\"q\"", str(k * 1.5)]
        one = io.StringIO(newline="")
        csv.writer(one).writerow(row)
        rows.append(one.getvalue())
        w.writerow(row)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return rows


def _write_parquet(path: Path, recs: list[dict]):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table(
        {
            "id": [r["id"] for r in recs],
            "text": [r["text"] for r in recs],
            "published": pa.array([datetime.fromisoformat(r["published"]) for r in recs], type=pa.timestamp("s")),
            "weight": pa.array([k * 0.25 for k in range(len(recs))], type=pa.float32()),
            "labels": [[r["id"], "x"] for r in recs],
        }
    )
    t = t.replace_schema_metadata({"origin": "test corpus"})
    pq.write_table(t, path, compression="zstd")
    return t


def _check_removed(res, originals: set[str], derived: set[str]) -> None:
    removed = set(res.removed_ids)
    assert removed == derived, (sorted(removed), [(r.id, r.kept, r.relation) for r in res.removed])
    assert originals <= set(res.kept)
    by = {r.id: r for r in res.removed}
    assert by["copy-exact"].kept == "orig0" and by["copy-exact"].relation == "duplicate"
    assert by["copy-boiler"].kept == "orig1" and by["copy-boiler"].relation in ("duplicate", "near_duplicate")
    assert by["copy-edit"].kept == "orig2" and by["copy-edit"].relation == "near_duplicate"
    assert by["copy-excerpt"].kept == "orig3" and by["copy-excerpt"].relation == "partial"
    assert by["fr-translation"].kept == "de-src" and by["fr-translation"].relation == "translation"
    assert all(0.0 < r.coverage <= 1.0 and r.cluster_size == 2 for r in res.removed)


@pytest.mark.slow
def test_dedup_jsonl_every_copy_removed_originals_kept_lines_unchanged(tmp_path: Path) -> None:
    recs, originals, derived = corpus()
    src = tmp_path / "crawl.jsonl"
    lines = _write_jsonl(src, recs)
    res = dedup([src], tmp_path / "out", drop=ALL)
    _check_removed(res, originals, derived)
    out = (tmp_path / "out" / "crawl.jsonl").read_bytes()
    assert out == b"".join(line for line, r in zip(lines, recs) if r["id"] not in derived)
    removed = [json.loads(x) for x in (tmp_path / "out" / "removed.jsonl").read_text().splitlines()]
    assert [r["id"] for r in removed] == [r["id"] for r in recs if r["id"] in derived]  # input order
    assert set(removed[0]) == {"id", "kept", "relation", "coverage", "via", "cluster_size"}
    # the default drops copies and rewrites only: the excerpt and the translation stay
    res = dedup([src], tmp_path / "out2")
    assert set(res.removed_ids) == {"copy-exact", "copy-boiler", "copy-edit"}


@pytest.mark.slow
def test_dedup_csv_keeps_every_column_and_row_bytes(tmp_path: Path) -> None:
    recs, originals, derived = corpus()
    src = tmp_path / "feed.csv"
    rows = _write_csv(src, recs)
    res = dedup([src], tmp_path / "out", drop=ALL)
    _check_removed(res, originals, derived)
    header = "id,published,text,extra_col,num\r\n"
    kept = [row for row, r in zip(rows, recs) if r["id"] not in derived]
    assert (tmp_path / "out" / "feed.csv").read_bytes() == (header + "".join(kept)).encode("utf-8")


@pytest.mark.slow
def test_dedup_parquet_alone_and_removed_as_parquet(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    recs, originals, derived = corpus()
    src = tmp_path / "feed.parquet"
    _write_parquet(src, recs)
    table = pq.read_table(src)  # as Parquet stores it (seconds become milliseconds)
    res = dedup([src], tmp_path / "out", drop=ALL, format="parquet")
    _check_removed(res, originals, derived)
    keep_rows = [k for k, r in enumerate(recs) if r["id"] not in derived]
    back = pq.read_table(tmp_path / "out" / "feed.parquet")
    assert back.schema.equals(table.schema, check_metadata=True)
    assert back.schema.metadata[b"origin"] == b"test corpus"
    assert back.equals(table.take(keep_rows))
    assert pq.ParquetFile(tmp_path / "out" / "feed.parquet").metadata.row_group(0).column(0).compression == "ZSTD"
    removed = pq.read_table(tmp_path / "out" / "removed.parquet")
    assert removed.column_names == ["id", "kept", "relation", "coverage", "via", "cluster_size"]
    assert sorted(removed.column("id").to_pylist()) == sorted(derived)
    assert not (tmp_path / "out" / "removed.jsonl").exists()


@pytest.mark.slow
def test_dedup_against_an_index(tmp_path: Path) -> None:
    recs, originals, derived = corpus()
    idx = tmp_path / "news.idx"
    retold.scan([r for r in recs if r["id"] in originals], index=idx)
    new = [r for r in recs if r["id"] in derived]
    fresh = {"id": "fresh", "text": _ecb_texts(8)[7], "published": "2024-03-01T00:00:00"}
    src = tmp_path / "today.jsonl"
    lines = _write_jsonl(src, new + [fresh])
    res = dedup([src], tmp_path / "out", drop=ALL, index=idx)
    assert set(res.removed_ids) == derived
    assert res.kept == ["fresh"]
    assert {r.kept for r in res.removed} <= originals  # kept in favour of indexed articles
    assert (tmp_path / "out" / "today.jsonl").read_bytes() == lines[-1]  # indexed articles are never written


def test_dedup_copies_only_records_and_tables(tmp_path: Path) -> None:
    import pyarrow as pa

    recs, originals, derived = corpus()
    copies = {"copy-exact", "copy-boiler", "copy-edit"}
    res = dedup(recs, drop="duplicate,near_duplicate", settings=Settings(semantic=False))
    assert set(res.removed_ids) == copies
    assert [r["id"] for r in res.data] == [r["id"] for r in recs if r["id"] not in copies]
    assert all(a is b for a, b in zip(res.data, [r for r in recs if r["id"] not in copies]))
    t = pa.Table.from_pylist([dict(r, extra=str(r.get("extra"))) for r in recs])
    res_t = dedup(t, drop="duplicate,near_duplicate", settings=Settings(semantic=False), keep="first")
    assert set(res_t.removed_ids) == copies
    assert res_t.data.equals(t.take([k for k, r in enumerate(recs) if r["id"] not in copies]))
    assert res_t.removed_table().num_rows == 3


def test_cli_dedup_folder_same_names_and_a_clean_output(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from retold.cli import app

    recs, _, _ = corpus()
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    (src / "a" / "orig0.txt").write_text(recs[0]["text"], encoding="utf-8")
    (src / "z-copy.md").write_text(recs[0]["text"] + "\n", encoding="utf-8")
    _write_jsonl(src / "a" / "more.jsonl", recs[1:4] + [{"id": "bad"}])
    (src / "notes.pdf").write_bytes(b"%PDF")  # not a format retold reads: not copied
    out = tmp_path / "out"
    (out / "b").mkdir(parents=True)
    (out / "problems.parquet").write_text("stale")
    r = CliRunner().invoke(app, ["dedup", str(src), "--out", str(out), "--copies-only", "--keep", "earliest", "--quiet"])
    assert r.exit_code == 0, r.output
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == [".retold-dedup.json", "a/more.jsonl", "a/orig0.txt", "problems.jsonl", "removed.jsonl"]
    assert [json.loads(x)["id"] for x in (out / "removed.jsonl").read_text().splitlines()] == ["z-copy"]
    assert (out / "a" / "orig0.txt").read_bytes() == (src / "a" / "orig0.txt").read_bytes()
    # a second run into the same folder: the earlier corpus files and problems go first
    (src / "a" / "orig0.txt").unlink()
    (src / "a" / "more.jsonl").write_text(json.dumps(recs[5]) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["dedup", str(src), "--out", str(out), "--copies-only", "--quiet"])
    assert r.exit_code == 0, r.output
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == [".retold-dedup.json", "a/more.jsonl", "problems.jsonl", "removed.jsonl", "z-copy.md"]
    assert (out / "removed.jsonl").read_text() == ""
    assert [json.loads(x)["reason"] for x in (out / "problems.jsonl").read_text().splitlines()] == ["unsupported_file"]


def test_cli_dedup_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from retold.cli import app

    (tmp_path / "feed.jsonl").write_text('{"id": "a", "text": "one two three four five six seven eight nine"}\n')
    r = CliRunner().invoke(app, ["dedup", str(tmp_path / "feed.jsonl"), "--out", str(tmp_path), "--copies-only", "-q"])
    assert r.exit_code == 2 and "replace the input" in r.output
    r = CliRunner().invoke(app, ["dedup", str(tmp_path), "--out", str(tmp_path / "out"), "--copies-only", "-q"])
    assert r.exit_code == 2 and "inside the input folder" in r.output
    r = CliRunner().invoke(app, ["dedup", str(tmp_path / "feed.jsonl"), "--out", str(tmp_path / "o"), "--drop", "same_story"])
    assert r.exit_code == 2 and "cannot drop" in r.output


# --- the keep rules, on plain data --------------------------------------------------


def _link(a: str, b: str, rel: str = "duplicate", cov: float = 1.0, direction: str | None = None) -> Pair:
    return Pair(a=a, b=b, relation=rel, score=cov, coverage_a=cov, coverage_b=cov, direction=direction)


def _members(**kw) -> dict[str, Member]:
    out = {}
    for k, (i, spec) in enumerate(kw.items()):
        out[i] = Member(order=spec.get("order", k), published=spec.get("published"), length=spec.get("length", 100), indexed=spec.get("indexed", False))
    return out


def test_one_survivor_per_cluster_ties_by_id_and_deterministic() -> None:
    m = _members(b={}, a={}, c={}, d={}, e={}, x={})
    links = [_link("b", "a"), _link("a", "c", "near_duplicate", 0.8), _link("d", "e", "partial", 0.5), _link("x", "x")]
    for keep in ("origin", "earliest", "longest", "first"):
        rem = plan_removals(m, links, ["duplicate", "near_duplicate", "partial"], keep)
        again = plan_removals(m, list(reversed(links)), ["duplicate", "near_duplicate", "partial"], keep)
        assert [r.to_dict() for r in rem] == [r.to_dict() for r in again]
        kept = set(m) - {r.id for r in rem}
        assert len(kept & {"a", "b", "c"}) == 1 and len(kept & {"d", "e"}) == 1 and "x" in kept
    first = plan_removals(m, links, ["duplicate", "near_duplicate", "partial"], "first")
    assert {r.id: r.kept for r in first} == {"a": "b", "c": "b", "e": "d"}
    assert {r.id: r.via for r in first}["c"] == "a"  # tied to the survivor through a
    tie = plan_removals(m, links, ["duplicate", "near_duplicate", "partial"], "earliest")  # no dates: by id
    assert {r.kept for r in tie} == {"a", "d"}
    # partial not dropped: d and e are no cluster
    assert {r.id for r in plan_removals(m, links, ["duplicate", "near_duplicate"], "first")} == {"a", "c"}


def test_keep_rules_read_dates_length_and_the_hub() -> None:
    day = datetime(2024, 5, 1)
    m = _members(
        a={"published": day + timedelta(days=2), "length": 50},
        b={"published": day, "length": 80},
        c={"length": 300},
    )
    links = [_link("a", "b"), _link("b", "c", "near_duplicate", 0.7)]
    drop = ["duplicate", "near_duplicate"]
    assert {r.kept for r in plan_removals(m, links, drop, "earliest")} == {"b"}
    assert {r.kept for r in plan_removals(m, links, drop, "longest")} == {"c"}
    # origin: not every member is dated, so the hub (b is tied to both) stays
    assert {r.kept for r in plan_removals(m, links, drop, "origin", hub=lambda ids: {"a": 1.0, "b": 2.0, "c": 1.0})} == {"b"}
    # every member dated: the earliest, whatever the hub says
    m2 = {**m, "c": Member(order=2, published=day + timedelta(days=1), length=300)}
    assert {r.kept for r in plan_removals(m2, links, drop, "origin", hub=lambda ids: {"c": 9.0})} == {"b"}


def test_indexed_members_stay_and_are_never_removed() -> None:
    m = _members(new1={}, old={"indexed": True, "order": 0}, new2={}, old2={"indexed": True})
    links = [_link("new1", "old"), _link("new2", "new1", "near_duplicate", 0.9), _link("old", "old2")]
    rem = plan_removals(m, links, ["duplicate", "near_duplicate"], "longest")
    assert {r.id for r in rem} == {"new1", "new2"}
    assert {r.kept for r in rem} == {"old"}  # longest tie among the indexed ones: by id


def test_parse_drop() -> None:
    assert parse_drop("near_duplicate, duplicate") == ("duplicate", "near_duplicate")
    with pytest.raises(DedupError):
        parse_drop("same_story")
    with pytest.raises(DedupError):
        parse_drop("")


def test_bench_peer_and_its_report(tmp_path: Path) -> None:
    pytest.importorskip("datasketch")
    from retold.bench.dedup import END, START, peer_dedup, removed_by_kind, render_markdown
    from retold.bench.speed import machine

    text = " ".join(f"word{k}" for k in range(80))
    lines = [json.dumps({"id": i, "text": t}) + "\n" for i, t in (("b0", text), ("d0-exact", text), ("b1", "other " * 30 + "end"))]
    (tmp_path / "in.jsonl").write_text("".join(lines))
    assert peer_dedup(tmp_path / "in.jsonl", tmp_path / "out.jsonl") == {"articles": 3, "kept": 2}
    assert (tmp_path / "out.jsonl").read_text() == lines[0] + lines[2]  # the first of each cluster, unchanged
    assert removed_by_kind(["b0", "d0-exact", "b1"], ["b0", "b1"]) == {"exact": 1}
    res = {
        "size": 3, "repeat": 1, "times": {"retold": [1.0], "datasketch": [0.8]}, "median": {"retold": 1.0, "datasketch": 0.8},
        "ratio": 1.25, "paired": [1.25], "ratio_of_medians": 1.25, "cpu": {"retold": [1.5], "datasketch": [0.8]}, "removed": {"retold": {"exact": 1}, "datasketch": {}}, "kinds": {"real": 2, "exact": 1},
        "machine": machine(), "commands": {"retold": "retold dedup ...", "datasketch": "python -m retold.bench.dedup peer ..."},
    }
    md = render_markdown(res, "retold bench dedup --size 3")
    assert md.startswith(START) and md.rstrip().endswith(END)
    assert "1.25x" in md and "met" in md and "| retold | 1.00 | 1.00 | 1.50 |" in md


def test_dedup_on_ray_passes_the_engine_to_the_scan(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from retold.engines.ray_engine import RayEngine

    recs, _, _ = corpus()
    copies = {"copy-exact", "copy-boiler", "copy-edit"}
    eng = RayEngine(num_cpus=2)
    try:
        res = dedup(recs, drop="duplicate,near_duplicate", settings=Settings(semantic=False), engine=eng)
    finally:
        eng.shutdown()
    assert res.scan is not None  # the scan ran, on Ray
    assert set(res.removed_ids) == copies


def test_copy_docs_tokens_equal_prepares() -> None:
    """The copies-only path's cleaning keeps exactly the tokens prepare keeps (boilerplate set aside)."""
    import dataclasses

    import numpy as np

    from retold.clean import prepare
    from retold.cli.scan import sample_dir
    from retold.ingest import read_articles
    from retold.show.dedup import copy_docs, sign_copies
    from retold.sign import sign_lexical

    arts, _ = read_articles([sample_dir()])
    furniture = "Share this article\nSubscribe to our newsletter for the latest news"
    arts += [dataclasses.replace(a, id=a.id + "-site", source="site.example", text=a.text + "\n" + furniture) for a in arts[:6]]
    s = Settings(semantic=False)
    ours = copy_docs(arts)
    theirs = prepare([dataclasses.replace(a, lang=a.lang or "und") for a in arts], s)
    assert any(d.sent_boiler.any() for d in theirs)
    for a, b in zip(ours, theirs):
        assert np.array_equal(a.tok_hash, b.tok_hash) and np.array_equal(a.tok_spans, b.tok_spans), a.id
    sign_copies(ours, s)
    sign_lexical(theirs, s)
    for a, b in zip(ours, theirs):
        assert a.exact_hash == b.exact_hash and np.array_equal(a.minhash, b.minhash) and np.array_equal(a.fingerprints, b.fingerprints)


def test_length_bound_holds_for_the_copy_engine() -> None:
    """_can_reach leaves out pairs by a bound on coverage from the passage rules: check it on
    pairs built to stretch it (many short runs with gaps of two changed words)."""
    import random

    import numpy as np

    from retold.compare.verbatim import _MAX_GAP, _SEED_K
    from retold.decide.copy import copy_relations
    from retold.model import Article
    from retold.show.dedup import copy_docs, sign_copies

    rng = random.Random(3)
    vocab = [f"w{k}" for k in range(5000)]
    base = [rng.choice(vocab) for _ in range(400)]
    texts = [" ".join(base)]
    for cut in (0.3, 0.45, 0.6, 0.8):
        texts.append(" ".join(base[: int(len(base) * cut)]))  # a prefix: coverage of the longer side = its share
    gappy = []
    for k in range(0, len(base), _SEED_K + _MAX_GAP):  # runs of k words, then _MAX_GAP changed words
        gappy += base[k : k + _SEED_K] + [f"x{k}", f"y{k}"][:_MAX_GAP]
    texts += [" ".join(gappy), " ".join(gappy[: len(gappy) // 2])]
    docs = copy_docs([Article(id=f"t{k}", text=t) for k, t in enumerate(texts)])
    s = Settings(semantic=False)
    sign_copies(docs, s)
    pairs = np.array([(i, j) for i in range(len(docs)) for j in range(i + 1, len(docs))])
    _, cov, _ = copy_relations(docs, pairs, s)
    n = np.array([d.n_tokens for d in docs], dtype=float)
    factor = 1 + _MAX_GAP / max(1, min(_SEED_K, s.min_passage_tokens))
    for (i, j), (ca, cb) in zip(pairs.tolist(), cov.tolist()):
        assert ca <= factor * n[j] / n[i] + 1e-9 and cb <= factor * n[i] / n[j] + 1e-9, (i, j, ca, cb)
    assert cov.max() > 0.5  # the pairs do share passages


def test_csv_encodings_tsv_and_ndjson_come_back_byte_for_byte(tmp_path: Path) -> None:
    """UTF-8 with BOM, UTF-16, cp1252 CSV (a quoted field over two lines, a non-ASCII letter),
    TSV and NDJSON: the kept rows are the very bytes of the input."""
    import random

    rng = random.Random(5)
    words = [f"w{k}" for k in range(3000)] + ["café", "naïve"]

    def text() -> str:
        return " ".join(rng.choice(words) for _ in range(60)) + ".\nA second line, " + " ".join(rng.choice(words) for _ in range(12))

    src = tmp_path / "in"
    src.mkdir()
    want: dict[str, bytes] = {}
    for name, codec, bom, delim in (
        ("u8.csv", "utf-8", b"\xef\xbb\xbf", ","),
        ("u16.csv", "utf-16-le", b"\xff\xfe", ","),
        ("w.csv", "cp1252", b"", ","),
        ("t.tsv", "utf-8", b"", "\t"),
    ):
        orig, other = text(), text()
        tag = name.split(".")[0]
        head = io.StringIO(newline="")
        csv.writer(head, delimiter=delim).writerow(["id", "text", "note"])
        rows = []
        for rid, t in ((f"{tag}-orig", orig), (f"{tag}-copy", orig), (f"{tag}-other", other)):
            one = io.StringIO(newline="")
            csv.writer(one, delimiter=delim).writerow([rid, t, f"n;é {rid}"])
            rows.append(one.getvalue())
        (src / name).write_bytes(bom + (head.getvalue() + "".join(rows)).encode(codec))
        want[name] = bom + (head.getvalue() + rows[0] + rows[2]).encode(codec)
    orig, other = text(), text()
    lines = [json.dumps({"id": rid, "text": t}).encode() + b"\r\n" for rid, t in (("j-orig", orig), ("j-other", other), ("j-copy", orig))]
    (src / "j.ndjson").write_bytes(b"".join(lines))
    want["j.ndjson"] = lines[0] + lines[1]
    # identical texts tie under every rule but "first": by id, "...-copy" would stay
    res = dedup([src], tmp_path / "out", drop="duplicate,near_duplicate", settings=Settings(semantic=False), keep="first")
    assert sorted(res.removed_ids) == ["j-copy", "t-copy", "u16-copy", "u8-copy", "w-copy"]
    assert not res.problems
    for name, data in want.items():
        assert (tmp_path / "out" / name).read_bytes() == data, name
