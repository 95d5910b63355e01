"""``retold bench index``: the add is timed in a child process, on a copy of the index."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from retold import scan
from retold.bench.index_add import render, slope, time_add
from retold.config import Settings
from retold.index import Index
from retold.ingest import read_articles

SAMPLE = Path(__file__).resolve().parents[1] / "retold" / "data" / "sample"


def test_slope_is_the_exponent_of_growth() -> None:
    ns = [1000, 3000, 10000]
    assert math.isclose(slope(ns, [2.0 * n for n in ns]), 1.0)
    assert math.isclose(slope(ns, [5.0, 5.0, 5.0]), 0.0, abs_tol=1e-12)
    assert math.isclose(slope(ns, [n**0.5 for n in ns]), 0.5)


@pytest.mark.slow
def test_time_add_scans_into_a_copy_and_leaves_the_cached_index_alone(tmp_path: Path) -> None:
    arts, _ = read_articles([SAMPLE])
    base = tmp_path / "base.idx"
    s = Settings(semantic=False)
    scan(arts[:6], index=base, settings=s)
    new = tmp_path / "new.jsonl"
    new.write_text("".join(json.dumps({"id": f"n{a.id}", "text": a.text}) + "\n" for a in arts[:3]), encoding="utf-8")
    r = time_add(base, new)
    assert r["add_s"] > 0 and r["peak_rss_mb"] > 50 and r["pairs"] >= 3  # each new one is a copy of an indexed one
    with Index.open(base) as ix:
        assert len(ix) == 6  # the cached index is unchanged
    text = render({"rows": [{**r, "n": 6, "k": 3}]}, "retold bench index --sizes 6")
    assert "| 6 | 3 |" in text and text.startswith("`retold bench index --sizes 6`")
