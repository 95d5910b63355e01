"""``retold index export`` and a scan's articles listing read the index's docs a chunk at a
time: the files hold every article, and no read asks for all docs at once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

from retold.index import Index
from retold.index.export import export_index
from retold.show import jsonl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from test_index import make_doc, make_pair  # noqa: E402


def _index(path: Path, n: int) -> list[str]:
    docs = [make_doc(f"d{i:04d}", i) for i in range(n)]
    with Index.open(path) as ix:
        for i in range(0, n, 400):
            part = docs[i : i + 400]
            ix.add(part, [make_pair(part[0].id, part[1].id)])
    return [d.id for d in docs]


def test_export_lists_every_article_reading_the_docs_a_chunk_at_a_time(tmp_path: Path, monkeypatch) -> None:
    ids = _index(tmp_path / "i.idx", 1200)
    reads: list[int | None] = []
    real = Index.load_docs

    def counting(self, wanted=None, **kw):
        wanted = None if wanted is None else list(wanted)
        reads.append(None if wanted is None else len(wanted))
        return real(self, wanted, **kw)

    monkeypatch.setattr(Index, "load_docs", counting)
    monkeypatch.setattr(jsonl, "PARQUET_BATCH", 300)
    files = export_index(tmp_path / "i.idx", tmp_path / "out")
    recs = [json.loads(x) for x in files["articles"].read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in recs] == ids
    reads_export = list(reads)
    with Index.open(tmp_path / "i.idx") as ix:
        want = jsonl.article_records(type("R", (), {"docs": {d.id: d for d in ix.load_docs()}})())
    assert recs == list(want)  # the same records a full load gives
    assert reads_export and None not in reads_export and max(reads_export) <= 500  # a chunk at a time

    files = export_index(tmp_path / "i.idx", tmp_path / "pq", format="parquet")
    f = pq.ParquetFile(files["articles"])
    assert f.metadata.num_rows == 1200 and f.metadata.num_row_groups == 4  # written a batch at a time
    assert f.read(columns=["id"]).column("id").to_pylist() == ids
    groups = pq.read_table(files["groups"]).to_pylist()
    assert sum(g["kind"] == "family" for g in groups) == 3  # the stored pairs, grouped from the light rows
