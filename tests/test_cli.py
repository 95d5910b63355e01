"""The `retold` command end to end on the bundled sample: the README's first command and the contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retold.cli import app
from retold.cli.scan import sample_dir

runner = CliRunner()
EXPECTED = json.loads((Path(sample_dir()).parent / "sample_expected.json").read_text(encoding="utf-8"))


def _read(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    r = runner.invoke(app, ["scan", "--sample", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    return out


def test_output_contract(sample_out):
    pairs = _read(sample_out / "pairs.jsonl")
    groups = _read(sample_out / "groups.jsonl")
    arts = {a["id"]: a for a in _read(sample_out / "articles.jsonl")}
    assert pairs and groups
    for p in pairs:
        assert {"a", "b", "relation", "score", "coverage_a", "coverage_b", "direction", "passages"} <= set(p)
        assert p["direction"] in ("a->b", "b->a", None)
        assert 0.0 <= p["coverage_a"] <= 1.0 and 0.0 <= p["coverage_b"] <= 1.0
        for q in p["passages"]:
            assert q["kind"] in ("verbatim", "paraphrase", "translation")
            assert 0 <= q["a_start"] < q["a_end"] <= len(arts[p["a"]]["text"])
            assert 0 <= q["b_start"] < q["b_end"] <= len(arts[p["b"]]["text"])
    for g in groups:
        assert g["kind"] in ("family", "story") and g["members"]
    story_members = [m for g in groups if g["kind"] == "story" for m in g["members"]]
    assert sorted(story_members) == sorted(arts), "every article in exactly one story"


def test_sample_copies_are_found(sample_out):
    """The copy layer on the sample: duplicate, near_duplicate and partial pairs as the sample says."""
    got = {frozenset((p["a"], p["b"])): p["relation"] for p in _read(sample_out / "pairs.jsonl")}
    for want in EXPECTED["pairs"]:
        if want["relation"] in ("duplicate", "near_duplicate", "partial"):
            key = frozenset((want["a"], want["b"]))
            ok = {want["relation"], *want.get("also_ok", [])}
            assert got.get(key) in ok, (sorted(key), got.get(key), ok)


def test_every_sample_pair_and_story_comes_out(sample_out):
    """The whole sample as its description says: every listed pair with its relation (or an
    also_ok one), no pair the description leaves out, and its stories."""
    got = {frozenset((p["a"], p["b"])): p["relation"] for p in _read(sample_out / "pairs.jsonl")}
    wanted = {frozenset((w["a"], w["b"])): {w["relation"], *w.get("also_ok", [])} for w in EXPECTED["pairs"]}
    wrong = {tuple(sorted(k)): (got.get(k), sorted(ok)) for k, ok in wanted.items() if got.get(k) not in ok}
    assert not wrong
    assert not set(got) - set(wanted), sorted(tuple(sorted(k)) for k in set(got) - set(wanted))
    stories = sorted(sorted(g["members"]) for g in _read(sample_out / "groups.jsonl") if g["kind"] == "story")
    assert stories == sorted(sorted(s) for s in EXPECTED["stories"])


def test_sample_translations_have_direction_and_passages(sample_out):
    """German (the encoder's) and Croatian (names and lengths) translations of the original."""
    pairs = {frozenset((p["a"], p["b"])): p for p in _read(sample_out / "pairs.jsonl")}
    for other in ("10_rheinbote_translation_de", "11_jadranski_glas_translation_hr"):
        p = pairs[frozenset(("01_northwire_original", other))]
        assert p["relation"] == "translation"
        assert min(p["coverage_a"], p["coverage_b"]) > 0.8
        assert sum(q["kind"] == "translation" for q in p["passages"]) >= 6
        assert p["direction"] == ("a->b" if p["a"] == "01_northwire_original" else "b->a")


def test_sample_family_origin(sample_out):
    fams = [g for g in _read(sample_out / "groups.jsonl") if g["kind"] == "family"]
    want = EXPECTED["families"][0]
    fam = next(g for g in fams if want["origin"] in g["members"])
    assert set(want["members"]) <= set(fam["members"])
    assert fam["origin"] == want["origin"]


def test_unrelated_sample_articles_have_no_reuse_pair(sample_out):
    for p in _read(sample_out / "pairs.jsonl"):
        if set(EXPECTED["unrelated"]) & {p["a"], p["b"]}:
            assert p["relation"] not in ("duplicate", "near_duplicate", "partial", "rewrite", "translation")


def test_compare_shows_a_pair(tmp_path):
    d = Path(sample_dir())
    r = runner.invoke(app, ["compare", str(d / "01_northwire_original.txt"), str(d / "03_eastern_herald_edited.txt"), "--json"])
    assert r.exit_code == 0, r.output
    pair = json.loads(r.stdout.strip().splitlines()[-1])
    assert pair["relation"] == "near_duplicate"
    assert any(p["kind"] == "verbatim" for p in pair["passages"])


def test_scan_reports_bad_input_and_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(Path(sample_dir()) / "01_northwire_original.txt", src / "a.txt")
    shutil.copy(Path(sample_dir()) / "02_valleygazette_copy.txt", src / "b.txt")
    (src / "broken.jsonl").write_text('{"id": "x1", "text": "fine text here"}\n{"id": "x2", "text": \n', encoding="utf-8")
    out = tmp_path / "out"
    r = runner.invoke(app, ["scan", str(src), "--out", str(out), "--copies-only"])
    assert r.exit_code == 0, r.output
    problems = _read(out / "problems.jsonl")
    assert any(p["path"].endswith("broken.jsonl") and p["line"] == 2 for p in problems)
    rels = {frozenset((p["a"], p["b"])): p["relation"] for p in _read(out / "pairs.jsonl")}
    assert rels.get(frozenset(("a", "b"))) == "duplicate"


def test_index_compares_new_against_old_only(tmp_path):
    d = Path(sample_dir())
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for f in sorted(d.glob("*.txt")):
        (first if f.name < "04" else second).joinpath(f.name).write_bytes(f.read_bytes())
    idx = tmp_path / "news.idx"
    r1 = runner.invoke(app, ["scan", str(first), "--index", str(idx), "--out", str(tmp_path / "o1"), "--quiet"])
    assert r1.exit_code == 0, r1.output
    r2 = runner.invoke(app, ["scan", str(second), "--index", str(idx), "--out", str(tmp_path / "o2"), "--quiet"])
    assert r2.exit_code == 0, r2.output
    new_ids = {f.stem for f in second.glob("*.txt")}
    pairs2 = _read(tmp_path / "o2" / "pairs.jsonl")
    assert pairs2 and all({p["a"], p["b"]} & new_ids for p in pairs2), "second run reports only pairs with a new article"
    # a new article is matched against an old one: the roundup (04) embeds the original (01)
    assert any({p["a"], p["b"]} == {"01_northwire_original", "04_morning_briefing_roundup"} for p in pairs2)
    # groups cover everything indexed
    groups = _read(tmp_path / "o2" / "groups.jsonl")
    members = {m for g in groups if g["kind"] == "story" for m in g["members"]}
    assert members == {f.stem for f in d.glob("*.txt")}
    # re-submitting an indexed article is reported, not duplicated
    r3 = runner.invoke(app, ["scan", str(first), "--index", str(idx), "--out", str(tmp_path / "o3"), "--quiet"])
    assert r3.exit_code == 0, r3.output
    assert _read(tmp_path / "o3" / "pairs.jsonl") == [], "nothing new, so no new pair"
    assert any(p["reason"] == "duplicate_id" for p in _read(tmp_path / "o3" / "problems.jsonl"))


def test_module_entry_point_runs():
    r = subprocess.run([sys.executable, "-m", "retold", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "scan" in r.stdout


def test_compare_terminal_view_shows_coverage_bars():
    d = Path(sample_dir())
    r = runner.invoke(app, ["compare", str(d / "01_northwire_original.txt"), str(d / "05_dailypulse_reworded.txt")])
    assert r.exit_code == 0, r.output
    assert "relation: rewrite" in r.output
    bars = [line for line in r.output.splitlines() if "coverage of" in line]
    assert len(bars) == 2 and all("[#" in line and "%" in line for line in bars)


def test_brackets_in_names_and_texts_do_not_break_the_terminal_view(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    text = (Path(sample_dir()) / "01_northwire_original.txt").read_text(encoding="utf-8")
    (src / "[bold]a[1].txt").write_text(text + "\n[red]not markup[/red]\n", encoding="utf-8")
    (src / "b[2].txt").write_text(text, encoding="utf-8")
    (src / "bad[3].jsonl").write_text("{broken\n", encoding="utf-8")
    r = runner.invoke(app, ["scan", str(src), "--out", str(tmp_path / "out"), "--copies-only"])
    assert r.exit_code == 0, r.output
    assert "bad[3].jsonl" in r.output and "[bold]a[1]" in r.output
    r = runner.invoke(app, ["compare", str(src / "[bold]a[1].txt"), str(src / "b[2].txt"), "--copies-only"])
    assert r.exit_code == 0, r.output
    assert "[bold]a[1]" in r.output


def test_an_encoder_that_cannot_load_is_a_clear_error(tmp_path):
    """A model folder that is not there, or a GPU this machine lacks: one line, exit 2, no traceback."""
    r = runner.invoke(app, ["scan", "--sample", "--out", str(tmp_path / "o"), "--quiet", "--encoder", str(tmp_path / "no-model") + "@cuda"])
    assert r.exit_code == 2 and "error: encoder" in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "o" / "pairs.jsonl").exists()
    try:
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU: use@cuda loads")
    except ImportError:
        pass  # no torch at all: the error says to install it
    r = runner.invoke(app, ["scan", "--sample", "--out", str(tmp_path / "o"), "--quiet", "--encoder", "use@cuda"])
    assert r.exit_code == 2 and "encoder 'use@cuda'" in r.output, r.output
