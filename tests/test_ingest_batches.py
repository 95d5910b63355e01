"""Input read in batches (``retold.ingest.iter_batches``): the articles and Problems of reading
it whole, however the batches fall, and a peak memory that does not grow with the file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from retold.ingest import iter_batches, read_articles
from retold.ingest.tables import iter_records, read_records

WORDS = "harbour board council pier storm budget spring crews repair vote month chair".split()


def _text(i: int, n_words: int = 300) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] + str(k % 13) for k in range(n_words))


def _folder(root: Path) -> Path:
    """JSONL and Parquet shards and a CSV, with bad records of every kind among good ones."""
    root.mkdir()
    (root / "sub").mkdir()
    for s in range(3):
        lines = [json.dumps({"id": f"j{s}-{i}", "text": _text(i), "published": "2024-03-01"}) for i in range(9)]
        lines[2] = '{"id": "broken", "text": '  # bad JSON: one problem with its line
        lines[4] = json.dumps({"id": f"j{s}-4"})  # no text
        lines[6] = json.dumps({"id": f"j{s}-6", "text": _text(6), "published": "not a date"})  # a bad optional field
        lines[8] = json.dumps({"id": "j0-0", "text": _text(0)})  # a duplicate id
        (root / f"shard{s}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        pq.write_table(pa.table({"id": [f"p{s}-{i}" for i in range(11)], "text": [_text(100 + i) if i != 5 else None for i in range(11)]}),
                       root / "sub" / f"part{s}.parquet", row_group_size=4)
    (root / "table.csv").write_text("id,text\nc1,one two three\nc2,\"unclosed\nc3,four five\n", encoding="utf-8")
    return root


def test_batches_give_the_articles_and_problems_of_a_whole_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "in")
    whole_a, whole_p = read_articles([folder])
    assert len(whole_a) > 40 and len(whole_p) >= 10
    for size in (1, 7, 1000):
        batches = list(iter_batches([folder], batch_size=size))
        got_a = [a for b in batches for a in b.articles]
        got_p = [p for b in batches for p in b.problems]
        assert got_a == whole_a and got_p == whole_p
        assert all(len(b.articles) <= size for b in batches)
        done = [b.bytes_done for b in batches]
        assert done == sorted(done) and done[-1] == batches[-1].bytes_total == sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert len(list(iter_batches([folder], batch_size=7))) >= 7


def _jsonl(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"a{i}", "text": _text(i)}) + "\n")
    return path


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _drain(paths: list[Path]) -> None:
    n = 0
    for b in iter_batches(paths, batch_size=50):
        n += len(b.articles)
    assert n > 0


def test_peak_memory_of_reading_in_batches_does_not_grow_with_the_file(tmp_path: Path) -> None:
    small, large = _jsonl(tmp_path / "small.jsonl", 500), _jsonl(tmp_path / "large.jsonl", 4000)
    size = large.stat().st_size
    p_small, p_large = _peak(lambda: _drain([small])), _peak(lambda: _drain([large]))
    p_whole = _peak(lambda: read_articles([large]))
    assert p_whole > size  # the whole read holds every text ...
    assert p_large < size / 8  # ... a batched one a batch of them
    assert p_large < 1.5 * p_small + 2**20  # (and the ids seen): 8 times the file, about the same peak

    shards = tmp_path / "shards"
    shards.mkdir()
    for s in range(8):
        pq.write_table(pa.table({"id": [f"s{s}-{i}" for i in range(500)], "text": [_text(i) for i in range(500)]}),
                       shards / f"{s:02d}.parquet", row_group_size=100)
    p_one = _peak(lambda: _drain([shards / "00.parquet"]))
    p_all = _peak(lambda: _drain([shards]))
    assert p_all < 1.5 * p_one + 2**20


def test_an_arrow_stream_is_read_a_batch_at_a_time(tmp_path: Path) -> None:
    schema = pa.schema([("id", pa.string()), ("text", pa.string())])

    def batches():
        for s in range(20):
            yield pa.record_batch([[f"r{s}-{i}" for i in range(200)], [_text(i) for i in range(200)]], schema=schema)

    table = pa.Table.from_batches(list(batches()), schema=schema)
    want = read_records(table)
    assert read_records(pa.RecordBatchReader.from_batches(schema, batches())) == want
    p_stream = _peak(lambda: sum(1 for _ in iter_records(pa.RecordBatchReader.from_batches(schema, batches()))))
    assert p_stream < table.nbytes / 4  # not made into one table first


def test_index_add_streams_a_file_into_an_index_batch_by_batch(tmp_path: Path) -> None:
    """``retold index add``: every good record indexed (one transaction a batch), each bad one a
    problem with its line, and the copies found across batches."""
    from typer.testing import CliRunner

    from retold.cli import app
    from retold.index import Index

    sample, _ = read_articles([Path(__file__).resolve().parents[1] / "retold" / "data" / "sample"])
    lines = [json.dumps({"id": a.id, "text": a.text}) for a in sample]
    lines.insert(5, "{not json")
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    idx, probs = tmp_path / "i.idx", tmp_path / "problems.jsonl"
    res = CliRunner().invoke(app, ["index", "add", str(idx), str(src), "--batch-size", "3", "--copies-only", "--problems", str(probs)])
    assert res.exit_code == 0, res.output
    with Index.open(idx) as ix:
        assert ix.ids() == {a.id for a in sample}
        assert len(ix.runs()) == 4  # 11 articles, 3 a batch
        copies = {(p.a, p.b) for p in ix.load_pairs() if p.relation in ("duplicate", "near_duplicate")}
    assert len(copies) >= 2
    bad = [json.loads(x) for x in probs.read_text(encoding="utf-8").splitlines()]
    assert len(bad) == 1 and bad[0]["line"] == 6 and bad[0]["path"].endswith("in.jsonl")
