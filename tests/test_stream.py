"""A scan in batches through an index (``retold.stream``, ``retold scan --batch-size``) gives
what one scan of everything gives, holds one batch at a time, and leaves nothing behind."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

import retold
from retold.cli import app
from retold.config import Settings
from retold.index import Index
from retold.ingest import read_articles
from retold.model import REUSE_RELATIONS, Article
from retold.stream import scan_in_batches, streamed_result

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "retold" / "data" / "sample"
DATA = REPO.parent / "shared" / "data"
runner = CliRunner()

FOOTER = "Harbour Ledger, the voice of the coast"  # short: a line that says nothing of copying
STORY = (
    "The {body} of {town} approved a {n} million plan to {what} on {day}.\n"
    "{who} said the work would start in {season} and last {w} weeks.\n"
)
BODIES = ["harbour board", "school council", "water authority", "library trust", "road agency", "parks office",
          "health board", "fire service"]
WHATS = ["rebuild the north pier", "open two classrooms", "replace the old mains", "extend the reading room",
         "resurface the ring road", "plant a riverside wood", "staff a night clinic", "buy three new engines"]


def _texts() -> list[Article]:
    """The sample, plus stories of one site whose footer recurs in them all, and exact copies:
    a footer seen in every batch is furniture only when the whole input is looked at."""
    arts, _ = read_articles([SAMPLE])
    out = list(arts)
    towns = ["Arnvik", "Belmora", "Calder", "Dunholt", "Eskby", "Fenwick", "Garrow", "Hollin"]
    for k, town in enumerate(towns):
        text = STORY.format(body=BODIES[k], town=town, n=k + 2, what=WHATS[k], day=["Monday", "Friday"][k % 2],
                            who=["Ida Brandt", "Omar Quell", "Lena Varga", "Tom Reyes"][k % 4],
                            season=["spring", "autumn"][k % 2], w=k + 4) + FOOTER
        out.append(Article(id=f"h{k}", text=text))
        out.append(Article(id=f"h{k}-copy", text=text))
    random.Random(4).shuffle(out)
    return out


def _keys(pairs, groups) -> tuple[dict, list]:  # noqa: ANN001
    return ({(min(p.a, p.b), max(p.a, p.b)): p.relation for p in pairs},
            sorted((g.kind, tuple(sorted(g.members)), g.origin) for g in groups))


def _write_jsonl(path: Path, arts: list[Article], broken_at: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for k, a in enumerate(arts):
            if k == broken_at:
                f.write('{"id": "broken", "text": \n')
            f.write(json.dumps({"id": a.id, "text": a.text}) + "\n")
    return path


def _pairs_file(out: Path) -> dict:
    recs = [json.loads(x) for x in (out / "pairs.jsonl").read_text().splitlines()]
    return {(min(r["a"], r["b"]), max(r["a"], r["b"])): r["relation"] for r in recs}


def test_batches_through_an_index_give_the_pairs_and_groups_of_one_scan(tmp_path: Path) -> None:
    arts = _texts()
    src = _write_jsonl(tmp_path / "in.jsonl", arts)
    one = _keys(*(lambda r: (r.pairs, r.groups))(retold.scan([src])))
    run = scan_in_batches([src], tmp_path / "s.idx", batch_size=5)
    assert run.articles == len(arts) and run.batches == -(-len(arts) // 5)
    with Index.open(tmp_path / "s.idx") as ix, ix.reading():
        res = streamed_result(ix, run, only_new=False)
        streamed = _keys(res.pairs, res.groups)
    reuse = lambda pairs: {k: r for k, r in pairs.items() if r in REUSE_RELATIONS}  # noqa: E731
    assert reuse(streamed[0]) == reuse(one[0])
    # a weak link (related) may be missed: its nearest neighbour is looked for from the later batch only
    assert len(set(streamed[0].items()) ^ set(one[0].items())) <= 0.02 * len(one[0])
    assert streamed[1] == one[1]
    copies = [k for k, rel in one[0].items() if k[0].startswith("h") and k[1] == k[0] + "-copy"]
    assert len(copies) == 8 and all(one[0][k] == "duplicate" for k in copies)


def test_learned_batch_by_batch_the_footer_would_make_copies_differ(tmp_path: Path) -> None:
    """Why the whole input's boilerplate is learned first: without it, the same text in two
    batches is cleaned two ways (here: the footer is furniture in a batch of several of the
    site's stories, content in a batch with one)."""
    from retold.clean.prepare import learn_from, prepare

    arts = [a for a in _texts() if a.id.startswith("h")]
    alone = next(a for a in arts if a.id == "h0")
    whole = learn_from(arts)
    few = prepare([alone], Settings())[0]
    many = prepare(arts, Settings())
    with_model = prepare([alone], Settings(), boilerplate=whole)[0]
    assert few.n_tokens > next(d for d in many if d.id == "h0").n_tokens  # the footer counted alone
    assert with_model.n_tokens == next(d for d in many if d.id == "h0").n_tokens


def test_retold_scan_in_batches_writes_the_contract_lists_a_broken_line_and_leaves_no_index(tmp_path: Path) -> None:
    arts = _texts()
    src = _write_jsonl(tmp_path / "in.jsonl", arts, broken_at=7)
    out1, out2 = tmp_path / "one", tmp_path / "batched"
    r = runner.invoke(app, ["scan", str(src), "--out", str(out1), "--quiet"])
    assert r.exit_code == 0, r.output
    (out2).mkdir()
    (out2 / "problems.jsonl").write_text('{"stale": true}\n')  # an earlier run's file
    r = runner.invoke(app, ["scan", str(src), "--out", str(out2), "--batch-size", "4", "--quiet"])
    assert r.exit_code == 0, r.output
    one, batched = _pairs_file(out1), _pairs_file(out2)
    assert one and len(set(one.items()) ^ set(batched.items())) <= 0.02 * len(one)
    probs = [json.loads(x) for x in (out2 / "problems.jsonl").read_text().splitlines()]
    assert len(probs) == 1 and probs[0]["line"] == 8 and probs[0]["reason"] == "broken_json"
    ids = {json.loads(x)["id"] for x in (out2 / "articles.jsonl").read_text().splitlines()}
    assert ids == {a.id for a in arts}
    assert sorted(p.name for p in out2.iterdir()) == ["articles.jsonl", "groups.jsonl", "pairs.jsonl", "problems.jsonl"]


def test_retold_scan_in_batches_into_an_index_writes_the_new_pairs_and_skips_what_it_holds(tmp_path: Path) -> None:
    arts = _texts()
    first, second = _write_jsonl(tmp_path / "a.jsonl", arts[:12]), _write_jsonl(tmp_path / "b.jsonl", arts[12:])
    idx = tmp_path / "i.idx"
    for src, out in ((first, "o1"), (second, "o2")):
        r = runner.invoke(app, ["scan", str(src), "--index", str(idx), "--out", str(tmp_path / out), "--batch-size", "5", "--quiet"])
        assert r.exit_code == 0, r.output
    new = {a.id for a in arts[12:]}
    got = _pairs_file(tmp_path / "o2")
    assert got and all(a in new or b in new for a, b in got)
    with Index.open(idx) as ix:
        assert len(ix) == len(arts)
    r = runner.invoke(app, ["scan", str(second), "--index", str(idx), "--out", str(tmp_path / "o3"), "--batch-size", "5", "--quiet"])
    assert r.exit_code == 0, r.output
    probs = [json.loads(x) for x in (tmp_path / "o3" / "problems.jsonl").read_text().splitlines()]
    assert sorted(p["reason"] for p in probs) == ["duplicate_id"] * len(new)
    assert _pairs_file(tmp_path / "o3") == {}
    with Index.open(idx) as ix:
        assert len(ix) == len(arts)


def test_an_input_over_the_threshold_is_streamed_by_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import retold.stream

    monkeypatch.setattr(retold.stream, "STREAM_ABOVE_BYTES", 100)
    src = _write_jsonl(tmp_path / "in.jsonl", _texts())
    r = runner.invoke(app, ["scan", str(src), "--out", str(tmp_path / "o"), "--copies-only"])
    assert r.exit_code == 0, r.output
    assert "articles at a time through an index" in r.output
    assert _pairs_file(tmp_path / "o")


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "wmt16_enfi_docs").is_dir(), reason="needs ../shared/data")
def test_real_texts_in_batches_agree_with_one_scan(tmp_path: Path) -> None:
    """The speed corpus's real texts (copies, excerpts, edits in several languages) in four
    batches: the families are those of one scan, and nearly every pair has its relation (a
    nearest-neighbour candidate is looked for from the later batch only)."""
    from retold.bench.corpora_speed import build_corpus, load_base_texts

    arts = build_corpus(load_base_texts(DATA), 240, seed=5).articles
    random.Random(1).shuffle(arts)
    src = _write_jsonl(tmp_path / "in.jsonl", arts)
    one = _keys(*(lambda r: (r.pairs, r.groups))(retold.scan([src])))
    run = scan_in_batches([src], tmp_path / "s.idx", batch_size=60)
    with Index.open(tmp_path / "s.idx") as ix, ix.reading():
        res = streamed_result(ix, run, only_new=False)
        got = _keys(res.pairs, res.groups)
    same = sum(got[0].get(k) == rel for k, rel in one[0].items())
    assert same >= 0.98 * len(one[0]) and len(got[0]) <= 1.02 * len(one[0])
    # the members of every family; not the origin of the corpus's one giant family (excerpts of
    # one article inserted in others chain 239 of 240 texts), whose hub wins by a hair either way
    assert [g[1] for g in got[1] if g[0] == "family"] == [g[1] for g in one[1] if g[0] == "family"]


def test_a_scratch_index_left_by_a_killed_run_is_swept_and_a_running_one_is_kept(tmp_path: Path) -> None:
    import fcntl
    import os

    from retold.stream import scratch_index, sweep_scratch

    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".retold-scan-old.idx"
    stale.write_bytes(b"x" * 100)
    (out / ".retold-scan-old.owner").write_bytes(b"")
    (out / ".retold-scan-old.idx.ann").mkdir()
    orphan = out / ".retold-scan-orphan.idx"  # its owner file already gone
    orphan.write_bytes(b"y")
    live = out / ".retold-scan-live.owner"
    live.write_bytes(b"")
    fd = os.open(live, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a scan running now (another open file: flock tells them apart)
    (out / ".retold-scan-live.idx").write_bytes(b"z")
    try:
        with scratch_index(out) as path:
            assert not stale.exists() and not (out / ".retold-scan-old.idx.ann").exists() and not orphan.exists()
            assert (out / ".retold-scan-live.idx").exists()
            assert path.parent == out and path.name.startswith(".retold-scan-") and not path.exists()
            path.write_bytes(b"made by the index")
        assert not path.exists() and not list(out.glob(path.stem + "*"))
    finally:
        os.close(fd)
    assert [p.name for p in sweep_scratch(out)] == [".retold-scan-live.idx"]  # its owner has gone now
    assert list(out.iterdir()) == []


@pytest.mark.slow
def test_sigterm_during_a_streamed_scan_removes_its_scratch_index(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    # enough batches that the scan is still running when the signal comes (the kill follows the
    # scratch index's first appearance; a faster scan of fewer batches could end before it)
    arts = [Article(id=f"{a.id}-{k}", text=a.text + f"\nEdition {k}.") for k in range(60) for a in _texts()]
    src = _write_jsonl(tmp_path / "in.jsonl", arts)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "retold", "scan", str(src), "--out", str(out), "--batch-size", "20",
                             "--copies-only", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob(".retold-scan-*.idx")):
            time.sleep(0.05)
        assert list(out.glob(".retold-scan-*.idx")), "the scan never made its scratch index"
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr.read().decode()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".retold-scan-")]
