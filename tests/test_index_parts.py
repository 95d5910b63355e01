"""A batch compared with the indexed docs a part at a time (retold/index/parts.py) gives the
pairs, passages and groups of reading them all at once."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from retold import scan
from retold.config import Settings
from retold.index import Index
from retold.index.parts import parts_of
from retold.stream import scan_in_batches

from tests.test_index_incremental import DATA, own_texts


def _everything(result) -> tuple:
    pairs = sorted(
        (p.a, p.b, p.relation, p.direction, p.basis, p.decided, p.score, p.coverage_a, p.coverage_b,
         tuple((q.a_start, q.a_end, q.b_start, q.b_end, q.kind) for q in p.passages))
        for p in result.pairs
    )
    groups = sorted((g.kind, tuple(g.members), g.origin) for g in result.groups)
    return pairs, groups


def _in_batches(arts, path: Path, settings: Settings, sizes: list[int]) -> tuple[list[tuple], list[float]]:
    out, parts, at = [], [], 0
    for n in sizes:
        res = scan(arts[at : at + n], index=path, settings=settings)
        out.append(_everything(res))
        parts.append(res.stats.get("index_parts", 0.0))
        at += n
    return out, parts


def _stored(path: Path) -> list[tuple]:
    with Index.open(path) as ix:
        return sorted((p.a, p.b, p.relation, p.score, p.direction, len(p.passages)) for p in ix.load_pairs())


def _same_by_parts(arts, tmp: Path, settings: Settings, sizes: list[int], part_docs: int) -> list[tuple]:
    whole, p0 = _in_batches(arts, tmp / "whole.idx", settings, sizes)
    parted, p1 = _in_batches(arts, tmp / "parts.idx", Settings(**{**settings.__dict__, "index_part_docs": part_docs}), sizes)
    assert not any(p0) and max(p1) >= 2, "the small parts were not taken"
    for k, (x, y) in enumerate(zip(whole, parted)):
        assert x[0] == y[0], f"batch {k}: pairs differ: {sorted(set(x[0]) ^ set(y[0]))[:4]}"
        assert x[1] == y[1], f"batch {k}: groups differ"
    assert _stored(tmp / "whole.idx") == _stored(tmp / "parts.idx")
    return parted


def test_parts_give_the_pairs_and_groups_of_one_read(tmp_path: Path) -> None:
    arts = own_texts()
    found = _same_by_parts(arts, tmp_path, Settings(max_bucket=4), [9, 12, len(arts) - 21], part_docs=3)
    assert sum(len(p) for p, _ in found[1:]) > 10  # later batches meet the index


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "wmt16_enfi_docs").is_dir(), reason="needs ../shared/data")
def test_real_texts_by_parts_give_the_pairs_of_one_read(tmp_path: Path) -> None:
    """The speed corpus's real texts with exact copies, boilerplate copies, edits and excerpts:
    twins spread over the index, new twins of indexed docs, pairs of two new docs."""
    from retold.bench.corpora_speed import build_corpus, load_base_texts

    arts = build_corpus(load_base_texts(DATA), 240, seed=5).articles
    random.Random(4).shuffle(arts)
    found = _same_by_parts(arts, tmp_path, Settings(), [80, 80, 80], part_docs=9)
    assert sum(len(p) for p, _ in found[1:]) > 100


def test_a_streamed_scan_by_parts_stores_what_one_read_does(tmp_path: Path) -> None:
    """A long-lived index (held names, groups and tables between batches) read by parts."""
    arts = own_texts()
    src = tmp_path / "in.jsonl"
    import json

    src.write_text("".join(json.dumps({"id": a.id, "text": a.text}) + "\n" for a in arts), encoding="utf-8")
    for name, part_docs in (("one.idx", 10**6), ("parts.idx", 2)):
        scan_in_batches([src], tmp_path / name, batch_size=10, settings=Settings(max_bucket=4, index_part_docs=part_docs))
    assert _stored(tmp_path / "one.idx") == _stored(tmp_path / "parts.idx")


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=60), st.integers(1, 8))
def test_parts_hold_every_doc_once_and_twins_together(hashes: list[int], max_docs: int) -> None:
    exact = np.array(hashes, dtype=np.uint64)
    universe = list(range(len(hashes)))
    parts = parts_of(universe, exact, max_docs)
    assert sorted(p for part in parts for p in part) == universe
    assert all(0 < len(part) <= max_docs and part == sorted(part) for part in parts)
    for h in set(hashes):  # one exact hash in one part, unless it alone is more than a part
        holding = {k for k, part in enumerate(parts) for p in part if hashes[p] == h}
        assert len(holding) <= -(-hashes.count(h) // max_docs)


def test_retold_scan_part_docs_writes_the_pairs_of_one_read(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from retold.cli import app

    arts = own_texts()
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": a.id, "text": a.text}) + "\n" for a in arts), encoding="utf-8")
    written = []
    for out, extra in (("one", []), ("parts", ["--part-docs", "2"])):
        r = CliRunner().invoke(app, ["scan", str(src), "--out", str(tmp_path / out), "--batch-size", "8", "--quiet", *extra])
        assert r.exit_code == 0, r.output
        written.append(sorted((tmp_path / out / "pairs.jsonl").read_text().splitlines()))
    assert written[0] and written[0] == written[1]
    r = CliRunner().invoke(app, ["scan", str(src), "--out", str(tmp_path / "bad"), "--part-docs", "0"])
    assert r.exit_code == 2


def test_an_index_maps_no_more_of_its_file_than_asked(tmp_path: Path) -> None:
    """A scan caps the file pages SQLite maps into it (they count in its resident memory); the
    service, whose adds reread the same pages, maps more."""
    from retold.stream import STREAM_MAP_BYTES

    path = tmp_path / "i.idx"
    scan(own_texts()[:5], index=path, settings=Settings(semantic=False))
    for asked in (0, STREAM_MAP_BYTES):
        with Index.open(path, map_bytes=asked) as ix:
            assert ix._db.execute("PRAGMA mmap_size").fetchone()[0] == asked
    from retold.index.store import BOUNDED_MAP_BYTES, HELD_MAP_BYTES

    with Index.open(path) as ix:  # a one-shot open maps a bounded share of the file
        assert ix._db.execute("PRAGMA mmap_size").fetchone()[0] == BOUNDED_MAP_BYTES
    with Index.open(path, keep_in_memory=True) as ix:  # a long-lived one (the service) up to 2 GB
        got = ix._db.execute("PRAGMA mmap_size").fetchone()[0]
        assert BOUNDED_MAP_BYTES < got <= HELD_MAP_BYTES  # SQLite clamps it just under 2 GB
