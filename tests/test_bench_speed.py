"""The speed benchmark runs end to end on a tiny corpus and writes only its own section."""

from __future__ import annotations

from pathlib import Path

import pytest

from retold.bench.speed import END, START, bench_speed, write_section

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_speed_bench_small(tmp_path: Path) -> None:
    if not (DATA / "ecbplus" / "docs.jsonl").exists():
        pytest.skip(f"{DATA} not found (shared benchmark data absent)")
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n<!-- other:start -->\nkept\n<!-- other:end -->\n", encoding="utf-8")
    png = tmp_path / "speed.png"
    bench_speed([200], DATA, out, png, command="test", log=lambda m: None)
    text = out.read_text(encoding="utf-8")
    assert "kept" in text and text.count(START) == 1 and text.count(END) == 1
    section = text[text.index(START) : text.index(END)]
    for needle in ("articles/s", "datasketch", "Recall of each kind", "Scaling exponent", "cores", "peak RSS"):
        assert needle in section, needle
    assert png.stat().st_size > 1000
    # writing again replaces the section instead of adding one
    write_section(out, f"{START}\nnew numbers\n{END}\n")
    again = out.read_text(encoding="utf-8")
    assert again.count(START) == 1 and "new numbers" in again and "kept" in again and "articles/s" not in again
