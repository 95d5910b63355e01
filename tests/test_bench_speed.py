"""The speed benchmark runs end to end on a tiny corpus and writes only its own section."""

from __future__ import annotations

from pathlib import Path

import pytest

from retold.bench.speed import END, START, bench_speed, markers, render_markdown, write_section

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
    for needle in ("articles/s", "datasketch", "Recall of each kind", "Scaling exponent", "cores", "peak RSS",
                   "(a) Signing + candidate pairs", "(b) End to end", "Against the 5x target"):
        assert needle in section, needle
    assert "whole pipeline" not in section  # not asked for: no full-pipeline table
    assert png.stat().st_size > 1000
    # writing again replaces the section instead of adding one
    write_section(out, f"{START}\nnew numbers\n{END}\n")
    again = out.read_text(encoding="utf-8")
    assert again.count(START) == 1 and "new numbers" in again and "kept" in again and "articles/s" not in again


def test_full_pipeline_table_renders() -> None:
    """The --full-sizes table shows each stage's seconds from result.stats, rate and memory."""
    res = {
        "rows": [],
        "machine": {"cpu": "x", "cores": "2", "os": "linux", "load": "1", "python": "3", "numpy": "2", "datasketch": "2", "date": "d"},
        "base_texts": 10,
        "full": [{"n": 1000, "seconds": 50.0, "rate": 20.0, "stages": {"clean": 1.5, "embed": 30.25, "compare": 9.0},
                  "peak_mb": 900.0, "pairs": 120, "candidates": 4000}],
    }
    md = render_markdown(res, "cmd", None)
    assert md.startswith(START) and md.rstrip().endswith(END)
    line = next(x for x in md.splitlines() if x.startswith("| 1,000 |"))
    assert "| 20.0 | 50.0 | 1.50 | 30.25 | 9.00 | 4,000 | 120 | 900 |" in line
    assert "Scaling exponent of the whole pipeline" not in md  # one size: no slope
    two = dict(res, full=res["full"] + [dict(res["full"][0], n=10000, seconds=500.0)])
    assert "(1.0 = linear)" in render_markdown(two, "cmd", None) and "1.00 (1.0 = linear)" in render_markdown(two, "cmd", None)
    header = next(x for x in md.splitlines() if x.startswith("| N | articles/s | total s"))
    assert header.index("clean s") < header.index("embed s") < header.index("compare s") < header.index("candidate pairs")


def test_a_gpu_section_sits_beside_the_main_one(tmp_path) -> None:
    """A run on another machine (--section gpu) writes its own section and leaves the main one."""
    out = tmp_path / "b.md"
    write_section(out, f"{START}\nlaptop numbers\n{END}\n")
    res = {
        "rows": [],
        "machine": {"cpu": "x", "cores": "16", "os": "linux", "load": "1", "python": "3", "numpy": "2", "datasketch": "2", "date": "d",
                    "gpu": "NVIDIA H100 80GB HBM3, torch 2.11", "encoder": "use-multilingual-v3 on cuda"},
        "base_texts": 10,
        "full": [{"n": 1000, "seconds": 10.0, "rate": 100.0, "stages": {"embed": 1.0}, "peak_mb": 1.0, "pairs": 1, "candidates": 2}],
    }
    md = render_markdown(res, "cmd", None, "gpu")
    gstart, gend = markers("gpu")
    assert md.startswith(gstart) and md.rstrip().endswith(gend) and "H100" in md.splitlines()[1]
    write_section(out, md)
    write_section(out, md.replace("| 100.0 |", "| 200.0 |"))  # a second GPU run replaces the first
    text = out.read_text(encoding="utf-8")
    assert "laptop numbers" in text and text.count(gstart) == 1 and "| 200.0 |" in text and "| 100.0 |" not in text
