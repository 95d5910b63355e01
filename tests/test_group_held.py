"""Groups kept between index adds (retold.group.held) equal a full rebuild, add after add.

A long-lived index (the service's, ``keep_in_memory``) groups again only the components that a
batch's new articles and pairs touch; a plain one rebuilds every family and story from every
stored pair. Both must give the same groups, the same implied pairs and the same relabelled
pairs: on the seeds and the bundled sample added in batches through the real pipeline, and on
arbitrary graphs of pairs added in arbitrary batches (hypothesis).
"""

from __future__ import annotations

import random
from copy import copy
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

import retold
from retold.config import EVENT_FEATURES, TOPIC_FEATURES, Settings
from retold.group import build_groups, stories_say
from retold.group.held import HeldGroups
from retold.index import Index
from retold.ingest import read_articles
from retold.model import Article, Doc, Pair

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "data" / "seeds"
RELATIONS = ["duplicate", "near_duplicate", "partial", "rewrite", "translation", "same_story", "related"]


def _groups(gs) -> list[tuple]:
    return [(g.kind, g.id, tuple(g.members), g.origin) for g in gs]


def _pairs(ps) -> list[tuple]:
    return sorted((p.a, p.b, p.relation, p.basis, p.decided, p.direction, round(p.score, 9)) for p in ps)


def test_a_long_lived_index_groups_as_a_full_rebuild_batch_after_batch(tmp_path):
    """The seeds and the sample, in four batches, into an index that keeps its groups in memory
    and into one that rebuilds them: every batch's groups, pairs and stored pairs are the same."""
    folders = [REPO / "retold" / "data" / "sample"] + ([SEEDS] if SEEDS.is_dir() else [])
    arts, _ = read_articles(folders)
    arts = [a for a in arts if a.text.strip()]
    random.Random(3).shuffle(arts)
    assert len(arts) >= 11
    batches = [arts[:4], arts[4:7], arts[7:10], arts[10:]]
    kept = Index.open(tmp_path / "kept.idx", keep_in_memory=True)
    plain = Index.open(tmp_path / "plain.idx")
    encoder = retold.sign.default_encoder(Settings())
    try:
        regrouped = 0
        for batch in batches:
            a = retold.scan(batch, index=kept, encoder=encoder)
            regrouped += kept.held_groups() is not None
            b = retold.scan(batch, index=plain, encoder=encoder)
            assert _groups(a.groups) == _groups(b.groups)
            assert _pairs(a.pairs) == _pairs(b.pairs)
            assert _pairs(kept.load_pairs()) == _pairs(plain.load_pairs())
        assert regrouped == len(batches)  # every batch left its groups held for the next
        assert any(g.kind == "family" for g in a.groups) and any(len(g.members) > 1 for g in a.groups if g.kind == "story")
        assert kept.held_groups() is not None and plain.held_groups() is None
    finally:
        kept.close()
        plain.close()


def test_held_groups_are_dropped_when_another_connection_commits(tmp_path):
    """Another writer's commit (or a removal) makes the held groups stale: the next scan groups
    everything from the file again, and still equals a full rebuild."""
    arts, _ = read_articles([REPO / "retold" / "data" / "sample"])
    s = Settings(semantic=False)
    kept = Index.open(tmp_path / "k.idx", settings=s, keep_in_memory=True)
    try:
        retold.scan(arts[:4], index=kept, settings=s)
        assert kept.held_groups() is not None
        with Index.open(tmp_path / "k.idx", settings=s) as other:
            retold.scan(arts[4:8], index=other, settings=s)
        assert kept.held_groups() is None
        res = retold.scan(arts[8:], index=kept, settings=s)
        full = build_groups({d: res.docs[d] for d in res.docs}, kept.load_pairs(), s)
        assert _groups(res.groups) == _groups(full)
        kept.remove([arts[0].id])
        assert kept.held_groups() is None
    finally:
        kept.close()


# --- arbitrary graphs ---------------------------------------------------------------

T0 = datetime(2020, 5, 1)


def _doc(i: str, published: datetime | None) -> Doc:
    import numpy as np

    spans = np.zeros((0, 2), dtype=np.int32)
    return Doc(article=Article(id=i, text="", published=published), lang="en", sent_spans=spans,
               sent_boiler=np.zeros(0, bool), tok_hash=np.zeros(0, np.uint64), tok_spans=spans,
               tok_sent=np.zeros(0, np.int32), tok_quoted=np.zeros(0, bool))


@st.composite
def histories(draw):
    """Articles (some undated) added in batches; each batch's pairs name at least one of its articles."""
    n = draw(st.integers(3, 26))
    ids = [f"d{i:02d}" for i in range(n)]
    dates = {i: (None if draw(st.booleans()) and draw(st.booleans()) else T0 + timedelta(days=draw(st.integers(0, 30)))) for i in ids}
    cuts = sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=5))))
    batches = [ids[a:b] for a, b in zip([0] + cuts, cuts + [n])]
    rng = random.Random(draw(st.integers(0, 10**6)))
    seen: list[str] = []
    history = []
    for batch in batches:
        pairs = []
        for k, x in enumerate(batch):
            others = seen + batch[:k]
            for y in rng.sample(others, min(len(others), rng.randint(0, 4))):
                rel = rng.choice(RELATIONS)
                feats = {f: round(rng.random(), 3) for f in set(TOPIC_FEATURES) | set(EVENT_FEATURES)}
                if rng.random() < 0.3:
                    feats["date_gap_days"] = float(rng.randint(0, 30))
                a, b = sorted((x, y))
                pairs.append(Pair(a, b, rel, round(rng.random(), 3), rng.random(), rng.random(),
                                  direction=rng.choice([None, None, "a->b", "b->a"]), features=feats))
        seen += batch
        history.append((batch, pairs))
    return dates, history


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.booleans())
def test_regrouping_what_new_pairs_touch_equals_a_full_rebuild(case, semantic):
    dates, history = case
    settings = Settings(semantic=semantic)
    docs: dict[str, Doc] = {}
    stored: list[Pair] = []  # the pairs as the index keeps them: after grouping, before the stories relabel
    held = HeldGroups.build({}, [], settings)
    for batch, new in history:
        for i in batch:
            docs[i] = _doc(i, dates[i])
        mine, theirs = [replace(p) for p in new], [replace(p) for p in new]
        plan = held.regroup(docs, batch, mine, settings)
        everything = [copy(p) for p in stored] + theirs
        full = build_groups(dict(docs), everything, settings)
        assert _groups(plan.groups) == _groups(full)
        assert _pairs(mine) == _pairs(theirs)  # relabelled alike by the grouping (dates, directions)
        held.apply(plan, mine)
        stored += [replace(p, passages=[]) for p in theirs]
        n_tokens = {i: 60 for i in docs}
        a = stories_say(plan.groups, mine, plan.pairs, n_tokens, settings, set(batch))
        b = stories_say(full, theirs, everything, n_tokens, settings, set(batch))
        assert _pairs(a[0]) == _pairs(b[0]) and a[1] == b[1]
        assert _pairs(mine) == _pairs(theirs)
    rebuilt = HeldGroups.build(dict(docs), stored, settings)  # grouped from scratch: the same components' groups
    final = rebuilt.regroup(docs, [], [], settings)
    assert _groups(final.groups) == _groups(build_groups(dict(docs), [copy(p) for p in stored], settings))


def test_stories_of_unconnected_parts_do_not_depend_on_each_other():
    """Leiden runs per connected component: adding an unrelated component changes no story."""
    from retold.group import stories

    t = Settings().thresholds
    ring = [Pair(f"a{i}", f"a{(i + 1) % 6}", "rewrite", 1.0, 1.0, 1.0) for i in range(6)]
    ring += [Pair("a0", "a3", "same_story", 0.9, 0.1, 0.1, features={"doc_cos": 0.9})]
    docs = {f"a{i}": _doc(f"a{i}", T0) for i in range(6)}
    alone = stories(docs, ring, t)
    other = [Pair(f"b{i}", f"b{j}", "same_story", 0.8, 0.1, 0.1, features={"doc_cos": 0.8, "names_overlap": 0.5})
             for i in range(8) for j in range(i + 1, 8) if (i * j) % 3]
    more = dict(docs) | {f"b{i}": _doc(f"b{i}", T0) for i in range(8)}
    both = stories(more, ring + other, t)
    mine = [g.members for g in both if g.members[0].startswith("a")]
    assert mine == [g.members for g in alone]


@pytest.mark.parametrize("semantic", [True, False])
def test_an_empty_batch_regroups_nothing(semantic):
    settings = Settings(semantic=semantic)
    docs = {i: _doc(i, None) for i in ("x", "y", "z")}
    pairs = [Pair("x", "y", "duplicate", 1.0, 1.0, 1.0)]
    held = HeldGroups.build(docs, pairs, settings)
    plan = held.regroup(docs, [], [], settings)
    assert plan.touched == set() and _groups(plan.groups) == _groups(build_groups(docs, [copy(p) for p in pairs], settings))


# --- the links held as columns (retold.group.links) ----------------------------------

_LINK_VALUES = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@st.composite
def link_pairs(draw):
    from retold.group.links import LINK_COLUMNS

    ids = [f"p{i}" for i in range(draw(st.integers(1, 8)))]
    out = []
    for _ in range(draw(st.integers(0, 30))):
        feats = {k: v for k in LINK_COLUMNS if (v := draw(_LINK_VALUES)) is not None and k != "encoded"}
        if draw(st.booleans()):
            feats["encoded"] = float(draw(st.booleans()))
        feats["aligned_a"] = 0.5  # evidence grouping does not read: not kept
        out.append(Pair(
            a=draw(st.sampled_from(ids)), b=draw(st.sampled_from(ids)), relation=draw(st.sampled_from(RELATIONS)),
            score=draw(st.floats(0, 1)), coverage_a=draw(st.floats(0, 1)), coverage_b=draw(st.floats(0, 1)),
            direction=draw(st.sampled_from([None, "a->b", "b->a"])), features=feats,
            basis=draw(st.sampled_from(["compared", "story"])), decided=draw(st.sampled_from([None, "rewrite"])),
        ))
    return out


@given(link_pairs(), st.integers(1, 4))
@hsettings(max_examples=150, deadline=None)
def test_a_link_made_again_from_its_columns_is_the_light_pair(pairs, capacity):
    """Every field a light link keeps comes back exactly (float64, None where absent), the
    features grouping does not read are dropped, and ``naming`` lists each pair once per article."""
    from retold.group.build import LINK_FEATURES
    from retold.group.links import LinkTable

    table = LinkTable(capacity=capacity)  # a small capacity: the columns grow while filled
    table.extend(pairs[: len(pairs) // 2])
    table.extend(pairs[len(pairs) // 2 :])
    assert len(table) == len(pairs)
    for k, p in enumerate(pairs):
        q = table.pair(k)
        assert (q.a, q.b, q.relation, q.direction, q.basis, q.decided) == (p.a, p.b, p.relation, p.direction, p.basis, p.decided)
        assert (q.score, q.coverage_a, q.coverage_b) == (p.score, p.coverage_a, p.coverage_b)
        assert q.passages == []
        assert q.features.to_dict() == {k2: v for k2, v in p.features.items() if k2 in LINK_FEATURES}
        assert q is not table.pair(k)  # each caller relabels its own
    for doc_id in {x for p in pairs for x in (p.a, p.b)}:
        assert table.naming(doc_id) == [k for k, p in enumerate(pairs) if doc_id in (p.a, p.b)]
    assert table.naming("absent") == []


def test_held_links_cost_a_fraction_of_pair_objects():
    """100,000 links among 25,000 articles held as columns take under 40% of the memory of one
    light Pair each and its place in per-article lists (what was held before): ~250 against ~700 bytes."""
    import tracemalloc

    from retold.group.links import LinkTable

    feats = {"verbatim_a": 0.9, "verbatim_b": 0.8, "doc_cos": 0.7, "names_overlap": 0.4, "encoded": 1.0, "date_gap_days": 2.0}
    ids = [f"x{i}" for i in range(20_000)] + [f"y{i}" for i in range(5_000)]  # the articles exist either way

    def pairs():
        return (Pair(ids[i % 20_000], ids[20_000 + i % 5_000], "near_duplicate", 0.9 + i * 1e-9, 0.8, 0.7,
                     features=dict(feats)) for i in range(100_000))

    tracemalloc.start()
    try:
        objects, by_id = [], {}
        for k, p in enumerate(pairs()):
            objects.append(p)
            by_id.setdefault(p.a, []).append(k)
            by_id.setdefault(p.b, []).append(k)
        as_objects = tracemalloc.get_traced_memory()[0]
        del objects, by_id
        base = tracemalloc.get_traced_memory()[0]
        table = LinkTable()
        table.extend(pairs())
        as_columns = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert len(table) == 100_000 and table.pair(99_999).b == "y4999"
    assert as_columns < 0.4 * as_objects, f"{as_columns / 1e6:.0f} MB as columns, {as_objects / 1e6:.0f} MB as objects"


def test_the_tables_a_long_lived_index_keeps_equal_a_fresh_read(tmp_path):
    """The light rows and the static article vectors that a long-lived index keeps between adds
    (read on from their last row) equal what a fresh connection reads: after its own adds, after
    another connection's commit, and after a removal."""
    import numpy as np

    from retold.index.incremental import _static_rows, read_light

    arts, _ = read_articles([REPO / "retold" / "data" / "sample"])
    arts = [a for a in arts if a.text.strip()]
    path = tmp_path / "k.idx"
    kept = Index.open(path, keep_in_memory=True)
    encoder = retold.sign.default_encoder(Settings())

    def same() -> None:
        with Index.open(path) as fresh:
            want, got = read_light(fresh), read_light(kept)
            assert got.ids == want.ids and np.array_equal(got.seq, want.seq) and got.lang == want.lang
            assert np.array_equal(got.n_tokens, want.n_tokens) and got.published == want.published
            w = [(p.tolist(), lk.tolist(), v.tolist()) for p, lk, v in _static_rows(fresh, want)]
            g = [(p.tolist(), lk.tolist(), v.tolist()) for p, lk, v in _static_rows(kept, got)]
            flat = lambda parts: [x for part in parts for x in zip(*part)]  # noqa: E731
            assert flat(g) == flat(w) and flat(w)

    try:
        retold.scan(arts[:4], index=kept, encoder=encoder)
        same()
        assert {"light", "static"} <= set(kept.held_tables())
        retold.scan(arts[4:7], index=kept, encoder=encoder)  # own add: read on from the last row
        same()
        with Index.open(path) as other:  # another connection commits: the kept tables go
            retold.scan(arts[7:9], index=other, encoder=encoder)
        same()
        kept.remove([arts[0].id])  # a removal here empties them too
        assert not kept.held_tables()
        same()
        retold.scan(arts[9:], index=kept, encoder=encoder)
        same()
    finally:
        kept.close()
