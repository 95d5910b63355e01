"""A scan against an index reads its candidate tables, not every doc, and finds what a full
load finds: the same pairs and groups, batch after batch (``retold.index.incremental``)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from retold import scan
from retold.config import Settings
from retold.index import Index
from retold.index.postings import TABLES
from retold.ingest import read_articles
from retold.model import Article

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "retold" / "data" / "sample"
DATA = REPO.parent / "shared" / "data"

STORY = (
    "The harbour board of {town} approved a {n} million plan to rebuild the north pier on {day}. "
    "Board chair {who} said the work would start in spring and last {w} weeks. "
    "Fishing crews had asked for the repair since a storm damaged the pier last winter. "
    "The council of {town} will vote on the budget next month, {who} added."
)
TOWNS = ["Arnvik", "Belmora", "Calder", "Dunholt", "Eskby", "Fenwick"]
PEOPLE = ["Ida Brandt", "Omar Quell", "Lena Varga", "Tom Reyes"]


def own_texts() -> list[Article]:
    """A small set with every kind of bucket: exact copies (more of one text than a bucket
    holds, at max_bucket=4), near copies, the sample's rewrites, a translation, unrelated texts."""
    arts, _ = read_articles([SAMPLE])
    out = list(arts)
    for k in range(14):
        text = STORY.format(town=TOWNS[k % 6], n=k % 3 + 3, day=f"day {k % 4}", who=PEOPLE[k % 4], w=k % 5 + 5)
        out.append(Article(id=f"h{k}", text=text))
    out += [Article(id=f"copy{k}", text=arts[0].text) for k in range(6)]  # one text six times
    return out


#: how far two scores of one pair may differ: a new twin of an indexed doc replays its twin's
#: stored pair (retold/index/twins.py), whose evidence was computed from the vectors of both texts
#: when they were new, not as read back from the index, where a full load compares them: the
#: article cosine differs in the seventh digit
SCORE_TOLERANCE = 1e-5


def _keys(result) -> tuple:
    pairs = sorted((p.a, p.b, p.relation, p.direction, p.basis, p.decided) for p in result.pairs)
    scores = {(p.a, p.b, p.relation): p.score for p in result.pairs}
    groups = sorted((g.kind, tuple(g.members), g.origin) for g in result.groups)
    return pairs, groups, scores


def _assert_same(x: tuple, y: tuple) -> None:
    """Two results of ``_keys``: the same pairs and groups, scores within ``SCORE_TOLERANCE``."""
    assert x[0] == y[0], f"pairs differ: {sorted(set(x[0]) ^ set(y[0]))[:6]}"
    assert x[1] == y[1], "groups differ"
    assert x[2] == pytest.approx(y[2], abs=SCORE_TOLERANCE)


def _batches(arts: list[Article], path: Path, settings: Settings, sizes: list[int], full: bool) -> list[tuple]:
    out, at = [], 0
    for n in sizes:
        res = scan(arts[at : at + n], index=path, settings=settings, _full_load=full)
        out.append(_keys(res))
        at += n
    return out


def _same_in_batches(arts: list[Article], tmp: Path, settings: Settings, sizes: list[int]) -> list[tuple]:
    full = _batches(arts, tmp / "full.idx", settings, sizes, True)
    inc = _batches(arts, tmp / "inc.idx", settings, sizes, False)
    for k, (x, y) in enumerate(zip(full, inc)):
        assert x[0] == y[0], f"batch {k}: pairs differ: {sorted(set(x[0]) ^ set(y[0]))[:6]}"
        assert x[1] == y[1], f"batch {k}: groups differ"
        assert y[2] == pytest.approx(x[2], abs=SCORE_TOLERANCE), f"batch {k}: scores differ"
    with Index.open(tmp / "full.idx") as a, Index.open(tmp / "inc.idx") as b:
        key = lambda p: (p.a, p.b, p.relation)  # noqa: E731
        sa, sb = ({key(p): p.score for p in ix.load_pairs()} for ix in (a, b))
        assert sorted(sa) == sorted(sb)
        assert sb == pytest.approx(sa, abs=SCORE_TOLERANCE)
    return [(p, g) for p, g, _ in inc]


@pytest.mark.slow
def test_batches_give_the_pairs_and_groups_of_a_full_load(tmp_path: Path) -> None:
    arts = own_texts()
    found = _same_in_batches(arts, tmp_path, Settings(max_bucket=4), [9, 12, len(arts) - 21])
    assert sum(len(p) for p, _ in found) > 20  # the set has pairs to find, in every batch
    assert all(p for p, _ in found)


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "wmt16_enfi_docs").is_dir(), reason="needs ../shared/data")
def test_real_texts_in_batches_give_the_pairs_of_a_full_load(tmp_path: Path) -> None:
    """Real texts of the speed corpus (English, Finnish and others; copies, excerpts, edits):
    three batches into an index, with the candidate tables and with every doc loaded."""
    import random

    from retold.bench.corpora_speed import build_corpus, load_base_texts

    arts = build_corpus(load_base_texts(DATA), 180, seed=11).articles
    random.Random(3).shuffle(arts)
    found = _same_in_batches(arts, tmp_path, Settings(), [60, 60, 60])
    assert sum(len(p) for p, _ in found) > 50


def _copies_only() -> Settings:
    return Settings(semantic=False)


def test_a_scan_reads_only_the_docs_of_its_candidates(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    arts = own_texts()
    scan(arts[:20], index=path, settings=_copies_only())
    res = scan([Article(id="new", text=arts[12].text + " One line more.")], index=path, settings=_copies_only())
    assert res.stats["articles_read"] < 20 and res.stats["articles_total"] == 21
    assert {p.b if p.a == "new" else p.a for p in res.pairs} >= {arts[12].id}
    # every indexed doc is still in the result, read from the file when asked for
    assert len(res.docs) == 21 and list(res.docs)[:3] == [a.id for a in arts[:3]]
    assert res.docs[arts[5].id].article.text == arts[5].text
    with pytest.raises(KeyError):
        res.docs["nobody"]


def _rows(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("docs", "light", "postings", "names", "vecs")}
    finally:
        con.close()


def test_remove_drops_the_candidate_rows_and_a_copy_no_longer_finds_it(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    arts = own_texts()
    scan(arts[:12], index=path)
    before = _rows(path)
    con = sqlite3.connect(path)
    seq = con.execute("SELECT seq FROM docs WHERE id = ?", (arts[0].id,)).fetchone()[0]
    con.close()
    with Index.open(path) as ix:
        ix.remove([arts[0].id])
    after = _rows(path)
    assert after["docs"] == after["light"] == before["docs"] - 1
    assert after["postings"] < before["postings"] and after["names"] < before["names"]
    con = sqlite3.connect(path)
    for table in ("postings", "names", "words", "vecs", "light"):
        assert con.execute(f"SELECT count(*) FROM {table} WHERE seq = ?", (seq,)).fetchone()[0] == 0
    con.close()
    res = scan([Article(id="again", text=arts[0].text)], index=path)
    assert all(arts[0].id not in (p.a, p.b) for p in res.pairs)
    assert any(p.relation == "duplicate" for p in res.pairs)  # its copy (the sample's 02) is still there


def _downgrade(path: Path) -> None:
    """Make the file what format 1 wrote: the same docs and pairs, no candidate tables."""
    con = sqlite3.connect(path)
    with con:
        for t in TABLES:
            con.execute(f"DROP TABLE {t}")
        con.execute("DELETE FROM meta WHERE key = 'postings'")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    con.close()


def test_an_index_of_format_1_opens_and_is_upgraded_by_its_first_write(tmp_path: Path) -> None:
    arts = own_texts()
    old, new = tmp_path / "old.idx", tmp_path / "full.idx"
    s = Settings(max_bucket=4)
    scan(arts[:15], index=old, settings=s)
    scan(arts[:15], index=new, settings=s)
    _downgrade(old)
    with Index.open(old) as ix:  # reads as before
        assert ix.info().format_version == 1 and len(ix) == 15 and ix.postings_bands() is None
    a = scan(arts[15:], index=old, settings=s)
    b = scan(arts[15:], index=new, settings=s, _full_load=True)
    _assert_same(_keys(a), _keys(b))
    with Index.open(old) as ix:
        assert ix.info().format_version == 2 and ix.postings_bands() == s.lsh_bands
    assert _rows(old)["light"] == len(arts)


def test_other_lsh_bands_fall_back_to_a_full_load(tmp_path: Path) -> None:
    path = tmp_path / "i.idx"
    arts = own_texts()
    scan(arts[:15], index=path, settings=_copies_only())
    other = Settings(semantic=False, lsh_bands=16)
    a = scan(arts[15:20], index=path, settings=other)
    assert "articles_read" not in a.stats  # every doc was loaded
    assert a.pairs


def test_export_after_incremental_scans_matches_a_full_load(tmp_path: Path) -> None:
    from retold.index.export import export_index

    arts = own_texts()
    s = Settings(max_bucket=4)
    for name, full in (("inc", False), ("full", True)):
        p = tmp_path / f"{name}.idx"
        scan(arts[:15], index=p, settings=s, _full_load=full)
        scan(arts[15:], index=p, settings=s, _full_load=full)
    outs = []
    for name in ("inc", "full"):
        with Index.open(tmp_path / f"{name}.idx", s) as ix:
            export_index(ix, tmp_path / f"out-{name}")
        outs.append(sorted(json.loads(x)["a"] + json.loads(x)["b"] + json.loads(x)["relation"]
                           for x in (tmp_path / f"out-{name}" / "pairs.jsonl").read_text().splitlines()))
    assert outs[0] == outs[1] and outs[0]


def test_a_text_the_encoder_lacks_meets_the_index_through_the_static_model_rows(tmp_path: Path) -> None:
    """The sample's Croatian translation (a language USE lacks) added to an index of the rest:
    the static model's neighbours come from the index's ``svecs`` rows, not from loading every
    doc, and the translations found are those of a full load."""
    from retold.sign.second import cheap

    if not cheap():
        pytest.skip("the static second model's table is not installed")
    arts, _ = read_articles([SAMPLE])
    hr = [a for a in arts if a.id.endswith("_hr")]
    rest = [a for a in arts if not a.id.endswith("_hr")]
    s = Settings(keep_candidates=True)
    got = {}
    for name, full in (("inc", False), ("full", True)):
        scan(rest, index=tmp_path / f"{name}.idx", settings=s)
        got[name] = scan(hr, index=tmp_path / f"{name}.idx", settings=s, _full_load=full)
    inc = got["inc"]
    assert "articles_read" in inc.stats and inc.stats["articles_read"] < len(rest)
    assert any("static" in why for _, _, why in inc.candidates)
    _assert_same(_keys(inc), _keys(got["full"]))
    assert sum(p.relation == "translation" for p in inc.pairs) >= 3
