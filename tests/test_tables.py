"""Records and tables in, tables out: scan() on dicts / pyarrow / pandas, to_arrow(), to_pandas(),
the Parquet form of the output contract, and an output folder that starts clean."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pytest

import retold
from retold.config import Settings
from retold.ingest.tables import read_records, row_of
from retold.show.jsonl import read_outputs, write_outputs
from retold.show.tables import ARTICLES, GROUPS, PAIRS

TEXT = (
    "The harbour authority closed the northern pier on Tuesday after inspectors found cracks in two of its "
    "supporting pillars. Ferries to the islands will leave from the southern terminal until repairs are done, "
    "which the authority expects to take about six weeks. Local traders said the closure came at the worst "
    "possible time, just before the summer season begins."
)
OTHER = (
    "A chess grandmaster from Oslo won the national championship final on Sunday with a bold rook sacrifice "
    "in the fourth game, ending a match that had been level for three days of play in front of a full hall."
)
COPIES_ONLY = Settings(semantic=False)


def records() -> list[dict]:
    return [
        {"id": "a", "text": TEXT, "published": "2024-05-01T10:00:00", "extra": 1},
        {"id": "b", "text": "Reprinted. " + TEXT, "published": "2024-05-02T10:00:00", "extra": 2},
        {"id": "c", "text": OTHER, "lang": "en"},
        {"text": "   "},  # empty: a problem, the run goes on
    ]


def test_records_follow_the_jsonl_rules() -> None:
    arts, probs = read_records(records())
    assert [a.id for a in arts] == ["a", "b", "c"]
    assert arts[0].published is not None and arts[2].lang == "en"
    assert [p.reason for p in probs] == ["empty_text"] and probs[0].line == 3
    assert [row_of(a) for a in arts] == [0, 1, 2]
    arts, probs = read_records([{"text": TEXT}, {"id": "records-0", "text": OTHER}])
    assert arts[0].id == "records-0" and [p.reason for p in probs] == ["duplicate_id"]


def test_scan_takes_dicts_and_arrow_tables() -> None:
    res = retold.scan(records(), settings=COPIES_ONLY)
    assert set(res.docs) == {"a", "b", "c"} and [p.reason for p in res.problems] == ["empty_text"]
    assert [(p.a, p.b, p.relation) for p in res.pairs if p.relation != "same_story"] == [("a", "b", "duplicate")]
    t = pa.Table.from_pylist([dict(r, extra=str(r.get("extra"))) for r in records()])
    res_t = retold.scan(t, settings=COPIES_ONLY)
    assert set(res_t.docs) == {"a", "b", "c"}
    assert [p.to_dict() for p in res_t.pairs] == [p.to_dict() for p in res.pairs]
    with pytest.raises(TypeError, match="one kind at a time"):
        retold.scan([{"id": "x", "text": TEXT}, "some/path.jsonl"], settings=COPIES_ONLY)


def test_to_arrow_has_the_contract_columns_and_types() -> None:
    res = retold.scan(records(), settings=COPIES_ONLY)
    pairs, groups, articles = res.to_arrow()
    assert pairs.schema.equals(PAIRS) and groups.schema.equals(GROUPS) and articles.schema.equals(ARTICLES)
    assert pairs.to_pylist()[0] | {"features": None} == res.pairs[0].to_dict() | {"features": None}
    assert dict(pairs.column("features")[0].as_py()) == res.pairs[0].to_dict()["features"]
    assert articles.column("id").to_pylist() == ["a", "b", "c"]
    assert articles.column("published").to_pylist()[0] == "2024-05-01T10:00:00"
    fam = [g for g in groups.to_pylist() if g["kind"] == "family"]
    assert fam == [{"kind": "family", "id": "F1", "members": ["a", "b"], "origin": "a"}]
    assert "features" not in res.to_arrow(with_features=False).pairs.column_names


def test_parquet_output_reads_back_as_the_jsonl_does(tmp_path: Path) -> None:
    res = retold.scan(records(), settings=COPIES_ONLY)
    j = write_outputs(res, tmp_path / "j")
    p = write_outputs(res, tmp_path / "p", format="parquet")
    assert sorted(x.name for x in p.values()) == ["articles.parquet", "groups.parquet", "pairs.parquet", "problems.parquet"]
    aj, pj, gj = read_outputs(tmp_path / "j")
    ap, pp, gp = read_outputs(tmp_path / "p")
    assert aj == ap and [x.to_dict() for x in pj] == [x.to_dict() for x in pp] and gj == gp
    assert j["problems"].read_text().count("empty_text") == 1


def test_output_folder_starts_clean_of_an_earlier_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for stale in ("problems.jsonl", "pairs.parquet", "groups.parquet"):
        (out / stale).write_text("from an earlier run")
    (out / "mine.txt").write_text("not retold's")
    res = retold.scan([{"id": "a", "text": TEXT}, {"id": "c", "text": OTHER}], settings=COPIES_ONLY)
    write_outputs(res, out)
    assert sorted(x.name for x in out.iterdir()) == ["articles.jsonl", "groups.jsonl", "mine.txt", "pairs.jsonl"]
    write_outputs(res, out, format="parquet")
    assert sorted(x.name for x in out.iterdir()) == ["articles.parquet", "groups.parquet", "mine.txt", "pairs.parquet"]
    with pytest.raises(ValueError, match="unknown output format"):
        write_outputs(res, out, format="csv")


def test_to_pandas_without_pandas_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    res = retold.scan([{"id": "a", "text": TEXT}], settings=COPIES_ONLY)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match="pip install pandas"):
        res.to_pandas()


def test_pandas_in_and_out() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "text": [TEXT, "Reprinted. " + TEXT, OTHER],
            "published": pd.to_datetime(["2024-05-01 10:00", "2024-05-02 10:00", None]),
            "score": [1.0, float("nan"), 3.0],
        }
    )
    res = retold.scan(df, settings=COPIES_ONLY)
    assert res.docs["a"].article.published is not None and res.docs["c"].article.published is None
    pairs, groups, articles = res.to_pandas()
    assert list(pairs.columns) == PAIRS.names and isinstance(pairs["features"][0], dict)
    assert list(groups.columns) == GROUPS.names and list(articles["id"]) == ["a", "b", "c"]
    d = retold.dedup(df, drop="duplicate", settings=COPIES_ONLY)
    assert d.removed_ids == ["b"] and list(d.data.index) == [0, 2] and list(d.data.columns) == list(df.columns)


def test_py_typed_is_shipped() -> None:
    assert (Path(retold.__file__).parent / "py.typed").exists()
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert "py.typed" in text


def test_removed_records_are_json(tmp_path: Path) -> None:
    d = retold.dedup(records(), tmp_path, drop="duplicate", settings=COPIES_ONLY)
    rows = [json.loads(x) for x in (tmp_path / "removed.jsonl").read_text().splitlines()]
    assert rows == [{"id": "b", "kept": "a", "relation": "duplicate", "coverage": rows[0]["coverage"], "via": "a", "cluster_size": 2}]
    assert [r["id"] for r in d.data] == ["a", "c"]
    assert json.loads((tmp_path / "problems.jsonl").read_text())["reason"] == "empty_text"


def test_cli_scan_format_parquet_replaces_an_earlier_jsonl_run(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from retold.cli import app

    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["scan", "--sample", "--copies-only", "--out", str(out), "--quiet"])
    assert run.exit_code == 0, run.output
    assert (out / "pairs.jsonl").exists()
    run = CliRunner().invoke(app, ["scan", "--sample", "--copies-only", "--out", str(out), "--quiet", "--format", "parquet"])
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == ["articles.parquet", "groups.parquet", "pairs.parquet"]
    articles, pairs, groups = read_outputs(out)
    assert len(articles) == 11 and pairs and any(g.kind == "family" for g in groups)
    run = CliRunner().invoke(app, ["scan", "--sample", "--out", str(out), "--format", "csv"])
    assert run.exit_code == 2
