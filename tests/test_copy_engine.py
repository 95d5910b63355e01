"""The copy engine on copies derived from real articles: signatures, candidates,
verbatim passages and copy relations."""

from __future__ import annotations

import difflib
import json
import random
from pathlib import Path

import numpy as np
import pytest

from retold.bench.corpora_speed import _boiler, _edit, _excerpt, quick_doc, quick_docs
from retold.candidates.lexical import TAG_BITS, candidate_pairs, fingerprint_pairs, lexical_candidates
from retold.compare.verbatim import token_coverage, verbatim_coverage_many, verbatim_evidence, verbatim_passages
from retold.config import Settings, Thresholds
from retold.decide.copy import copy_direction, copy_relation, copy_relations, fingerprint_containment_many, minhash_jaccard_many
from retold.model import Article, Doc
from retold.sign.lexical import anchors, exact_hash, fingerprints, sign_lexical
from retold.sign.minhash import jaccard_estimate, minhash_batch, oph_batch, shingle_hashes, shingle_hashes_many

T = Thresholds.fitted()

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
S = Settings()


def _ecb_texts(n: int) -> list[str]:
    p = DATA / "ecbplus" / "docs.jsonl"
    if not p.exists():
        pytest.skip(f"{p} not found (shared benchmark data absent)")
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        t = (d["title"] + "\n" + d["text"]).strip()
        if len(t.split()) >= 200 and all(t[:200] != o[:200] for o in out):
            out.append(t)
        if len(out) == n:
            break
    return out


def _seed_texts() -> dict[str, str]:
    p = DATA / "seeds"
    if not p.exists():
        pytest.skip(f"{p} not found (shared benchmark data absent)")
    return {f.stem: f.read_text(encoding="utf-8") for f in sorted(p.glob("*.txt"))}


def _docs(texts: list[str]) -> list[Doc]:
    try:  # the real cleaning stage when it is there; a plain tokeniser otherwise
        from retold.clean import prepare

        docs = prepare([Article(id=f"t{i}", text=t) for i, t in enumerate(texts)], S)
    except ImportError:
        docs = [quick_doc(Article(id=f"t{i}", text=t)) for i, t in enumerate(texts)]
    sign_lexical(docs, S)
    return docs


def _relation(a: Doc, b: Doc) -> tuple[tuple[str, float] | None, float, float]:
    ps = verbatim_passages(a, b, S)
    ca, cb = token_coverage(a, ps, "a"), token_coverage(b, ps, "b")
    return copy_relation(ca, cb, T, jaccard=jaccard_estimate(a.minhash, b.minhash)), ca, cb


@pytest.fixture(scope="module")
def family():
    """A real article, its derived copies, and unrelated real articles."""
    texts = _ecb_texts(12)
    rng = random.Random(3)
    src, host, others = texts[0], texts[1], texts[2:]
    derived = {
        "exact": src,
        "boiler": _boiler(src, rng),
        "edit": _edit(src, rng, ["indeed", "reportedly", "officials"]),
        "excerpt": _excerpt(src, host, rng),
    }
    names = ["src", "host"] + list(derived) + [f"other{i}" for i in range(len(others))]
    docs = _docs([src, host] + list(derived.values()) + others)
    return dict(zip(names, docs)), docs


def test_exact_and_boilerplate_copies_are_duplicates(family):
    by, _ = family
    rel, ca, cb = _relation(by["src"], by["exact"])
    assert rel is not None and rel[0] == "duplicate" and ca == cb == 1.0
    rel, ca, cb = _relation(by["src"], by["boiler"])
    # another site's header (a menu line) and footer (a copyright line of 14 words) are set
    # aside by the cleaning stage: what is left is the same text, all of it covered
    assert ca == cb == 1.0
    assert rel is not None and rel[0] == "duplicate"


def test_light_edit_is_near_duplicate(family):
    by, _ = family
    rel, ca, cb = _relation(by["src"], by["edit"])
    assert rel is not None and rel[0] == "near_duplicate", (rel, ca, cb)
    # words changed in place are bridged: one passage can span an edit
    ps = verbatim_passages(by["src"], by["edit"], S)
    assert any(p.similarity < 1.0 for p in ps)


def test_excerpt_is_partial_with_asymmetric_coverage(family):
    by, _ = family
    rel, c_src, c_ex = _relation(by["src"], by["excerpt"])
    assert rel is not None and rel[0] == "partial"
    assert 0.25 <= c_src <= 0.65  # the chunk is 30-60% of the source's words
    rel_h, c_host, c_ex2 = _relation(by["host"], by["excerpt"])
    assert c_host > 0.9  # all of the host survives inside the excerpt article
    assert c_ex2 < 0.9 and c_ex + c_ex2 == pytest.approx(1.0, abs=0.05)


def test_passage_offsets_point_at_equal_text(family):
    by, _ = family
    for name in ("exact", "boiler", "edit", "excerpt"):
        a, b = by["src"], by[name]
        ps = verbatim_passages(a, b, S)
        assert ps
        for p in ps:
            ta = a.article.text[p.a_start : p.a_end].lower().split()
            tb = b.article.text[p.b_start : p.b_end].lower().split()
            if p.similarity == 1.0:
                assert ta == tb
            else:  # a bridged light edit: mostly the same words
                assert difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).ratio() >= 0.9


def test_evidence_matches_token_coverage(family):
    by, docs = family
    for a in docs[:6]:
        for b in docs[:6]:
            if a is b:
                continue
            ps, ca, cb = verbatim_evidence(a, b, S)
            assert ca == pytest.approx(token_coverage(a, ps, "a"))
            assert cb == pytest.approx(token_coverage(b, ps, "b"))


def test_candidates_find_copies_and_skip_unrelated(family):
    by, docs = family
    idx = {id(d): i for i, d in enumerate(docs)}
    cand = lexical_candidates(docs, np.ones(len(docs), dtype=bool), S)
    src = idx[id(by["src"])]
    # the boiler copy's content, header and footer set aside, is the source's: one exact hash
    for name, tag in (("exact", "exact"), ("boiler", "exact"), ("edit", "fingerprint"), ("excerpt", "fingerprint")):
        key = tuple(sorted((src, idx[id(by[name])])))
        assert key in cand, name
        assert tag in cand[key], (name, cand[key])
    n = len(docs)
    assert len(cand) < n * (n - 1) // 2  # not all pairs
    others = [i for i, d in enumerate(docs) if i >= 6]
    for i in others:
        for j in others:
            if i < j and (i, j) in cand:
                rel, _, _ = _relation(docs[i], docs[j])
                assert rel is None or rel[0] == "partial"


def test_index_mode_has_no_old_old_pairs(family):
    _, docs = family
    is_new = np.zeros(len(docs), dtype=bool)
    is_new[3] = True  # only the boilerplate copy is new
    cand = lexical_candidates(docs, is_new, S)
    assert cand, "the new copy must meet its source and the exact copy"
    for i, j in cand:
        assert i < j and (is_new[i] or is_new[j])
    assert (0, 3) in cand and (2, 3) in cand
    assert lexical_candidates(docs, np.zeros(len(docs), dtype=bool), S) == {}


def test_crowded_fingerprints_are_skipped():
    """A phrase shared by more than max_bucket docs is boilerplate: it links no one."""
    rng = random.Random(1)
    footer = " ".join(f"f{rng.randrange(10_000)}" for _ in range(80))
    words = [f"w{rng.randrange(10_000)}" for _ in range(40 * 200)]
    texts = [" ".join(words[i * 200 : (i + 1) * 200]) + "\n" + footer for i in range(40)]
    docs = _docs(texts)
    new = np.ones(len(docs), dtype=bool)
    assert fingerprint_pairs(docs, new, Settings(max_bucket=10)).shape[0] == 0
    assert fingerprint_pairs(docs, new, Settings(max_bucket=100)).shape[0] == 40 * 39 // 2


def test_empty_docs_do_not_match():
    docs = _docs(["", "...", "A real sentence with enough words to count here today."])
    assert docs[0].exact_hash == 0 and docs[1].exact_hash == 0
    assert lexical_candidates(docs, np.ones(3, dtype=bool), S) == {}


def test_seeds_have_no_duplicates():
    seeds = _seed_texts()
    names = list(seeds)
    docs = _docs(list(seeds.values()))
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            rel, ca, cb = _relation(docs[i], docs[j])
            assert rel is None or rel[0] not in ("duplicate", "near_duplicate"), (names[i], names[j], rel, ca, cb)


def test_one_permutation_minhash_estimates_jaccard():
    rng = np.random.default_rng(0)
    errs_oph, errs_classic = [], []
    for _ in range(20):
        x = rng.integers(0, 2**63, size=900, dtype=np.uint64)
        a, b = shingle_hashes(x[:600], 1), shingle_hashes(x[300:], 1)  # Jaccard 1/3
        s1, s2 = oph_batch([a, b], 128, 1), minhash_batch([a, b], 128, 1)
        errs_oph.append(jaccard_estimate(s1[0], s1[1]) - 1 / 3)
        errs_classic.append(jaccard_estimate(s2[0], s2[1]) - 1 / 3)
    assert abs(np.mean(errs_oph)) < 0.03 and np.std(errs_oph) < 0.07
    assert abs(np.mean(errs_classic)) < 0.03


def _swap_words(text: str, every: int) -> str:
    """Replace every ``every``-th word by an invented one, in place (a reworded MT-like copy)."""
    words = text.split(" ")
    for i in range(every // 2, len(words), every):
        words[i] = f"zqx{i}"
    return " ".join(words)


def test_a_few_changed_words_are_near_duplicate_not_duplicate():
    """README (relations): duplicate = only layout, boilerplate or a few characters differ.

    Two machine translations of one source differ in a handful of words; coverage stays
    near total because passages bridge them, so the shingle Jaccard must tell."""
    src = _ecb_texts(1)[0]
    n = len(src.split(" "))
    one_word, two_percent = _swap_words(src, n + 1), _swap_words(src, 50)
    assert one_word != src and sum(x != y for x, y in zip(src.split(" "), two_percent.split(" "))) >= n // 60
    a, b, c = _docs([src, one_word, two_percent])
    rel_one, *_ = _relation(a, b)
    rel_two, ca, cb = _relation(a, c)
    assert rel_one is not None and rel_one[0] == "duplicate", rel_one
    assert min(ca, cb) >= 0.95  # coverage alone would call it a duplicate
    assert rel_two is not None and rel_two[0] == "near_duplicate", rel_two


def test_copy_relation_thresholds():
    assert copy_relation(1.0, 1.0, T, jaccard=1.0)[0] == "duplicate"
    assert copy_relation(0.97, 0.99, T, jaccard=0.6)[0] == "near_duplicate"
    assert copy_relation(0.99, 0.99, T, jaccard=0.85)[0] == "near_duplicate"
    assert copy_relation(0.99, 0.99, T, jaccard=0.95)[0] == "duplicate"
    assert copy_relation(0.8, 0.7, T)[0] == "near_duplicate"
    assert copy_relation(0.95, 0.1, T)[0] == "partial"
    assert copy_relation(0.3, 0.1, T, containment=0.2) is None  # a quarter of the tokens, not of the k-grams
    assert copy_relation(0.3, 0.1, T, containment=0.3)[0] == "partial"
    assert copy_relation(0.99, 0.99, T, jaccard=0.95, containment=0.0)[0] == "duplicate"  # partial only
    assert copy_relation(0.05, 0.04, T) is None
    with pytest.raises(ValueError):
        copy_relation(1.5, 0.2, T)


def test_direction_uses_dates_only():
    from datetime import datetime

    a = quick_doc(Article(id="a", text="one two three", published=datetime(2022, 9, 1)))
    b = quick_doc(Article(id="b", text="one two three four", published=datetime(2022, 9, 3)))
    assert copy_direction(a, b, 1.0, 0.7) == "a->b"
    assert copy_direction(b, a, 0.7, 1.0) == "b->a"
    b.article.published = None
    assert copy_direction(a, b, 1.0, 0.7) is None


def test_anchors_are_names_and_numbers():
    d = _docs(["The minister met Zelensky in Kyiv on Tuesday.\nAbout 2000 troops moved near Izium."])[0]
    from retold.clean.tokens import token_hash

    got = set(d.anchors.tolist())
    for w in ("zelensky", "kyiv", "tuesday", "2000", "izium"):
        assert token_hash(w) in got, w
    for w in ("the", "about", "minister"):
        assert token_hash(w) not in got, w


def _with_refrains(docs: list[Doc]) -> list[Doc]:
    """The family plus texts with repeated phrases and reordered paragraphs: the cases
    where runs repeat or overlap and the bulk path must fall back to selection."""
    src = docs[0].article.text
    paras = src.split("\n")
    refrain = "and the minister said again that nothing had changed at all today"
    extra = [
        src + "\n" + refrain + " " + refrain + "\n" + paras[0],
        "\n".join(reversed(paras)),
        refrain + " " + src[: len(src) // 2] + " " + refrain,
    ]
    more = [quick_doc(Article(id=f"x{i}", text=t)) for i, t in enumerate(extra)]
    sign_lexical(more, S)
    return docs + more


def test_bulk_coverage_equals_pair_by_pair(family):
    _, docs = family
    docs = _with_refrains(docs)
    n = len(docs)
    pairs = np.array([(i, j) for i in range(n) for j in range(n) if i != j], dtype=np.int64)
    bulk = verbatim_coverage_many(docs, pairs, S, chunk=3000)  # several chunks
    for (i, j), (ca, cb) in zip(pairs.tolist(), bulk.tolist()):
        _, ra, rb = verbatim_evidence(docs[i], docs[j], S)
        assert (ca, cb) == pytest.approx((ra, rb), abs=1e-12), (i, j)
    assert (bulk > 0.5).any() and (bulk == 0).any()  # both copies and strangers were in there


def test_copy_relations_equal_pair_by_pair_and_share_exact_classes(family):
    _, docs = family
    docs = _with_refrains(docs) + [quick_doc(Article(id="dup", text=docs[0].article.text))]
    sign_lexical(docs[-1:], S)
    n = len(docs)
    pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n)], dtype=np.int64)
    rels, cov, info = copy_relations(docs, pairs, S)
    assert info["pairs"] == len(pairs)
    # src, its exact copy and "dup" are one token stream: their pairs with others are verified once
    assert info["verified"] + info["skipped"] < len(pairs)
    for (i, j), rel, (ca, cb) in zip(pairs.tolist(), rels, cov.tolist()):
        _, ra, rb = verbatim_evidence(docs[i], docs[j], S)
        want = copy_relation(min(ra, 1.0), min(rb, 1.0), T, jaccard=jaccard_estimate(docs[i].minhash, docs[j].minhash))
        if rel is None and want is not None:  # only a skipped pair may differ, and never a reuse
            pytest.fail(f"pair {(i, j)} lost relation {want}")
        if rel is not None:
            assert rel == want and (ca, cb) == pytest.approx((ra, rb))


def test_estimates_in_bulk(family):
    by, docs = family
    pairs = np.array([(0, 1), (0, 2), (0, 5), (1, 5), (6, 7)], dtype=np.int64)  # src-host, src-exact, src-excerpt, host-excerpt, others
    jac = minhash_jaccard_many(docs, pairs)
    for (i, j), v in zip(pairs.tolist(), jac.tolist()):
        assert v == pytest.approx(jaccard_estimate(docs[i].minhash, docs[j].minhash))
    con = fingerprint_containment_many(docs, pairs)
    for (i, j), v in zip(pairs.tolist(), con.tolist()):
        fa, fb = docs[i].fingerprints, docs[j].fingerprints
        assert v == pytest.approx(np.intersect1d(fa, fb).shape[0] / min(fa.shape[0], fb.shape[0]))
    assert con[1] == 1.0 and 0.2 < con[2] < 0.8  # exact copy; excerpt of 30-60% of the source


def test_batch_signing_equals_one_doc_at_a_time(family):
    _, docs = family
    texts = [d.article.text for d in docs] + ["two words", "", "Five words exactly here now"]
    batch = quick_docs([Article(id=f"t{i}", text=t) for i, t in enumerate(texts)])
    sign_lexical(batch, S)
    sh = [shingle_hashes(d.tok_hash, S.shingle_size) if d.n_tokens else np.zeros(0, np.uint64) for d in batch]
    sigs = oph_batch(sh, S.num_perm, S.seed)
    x, counts = shingle_hashes_many([d.tok_hash for d in batch], S.shingle_size)
    assert np.array_equal(x, np.concatenate(sh)) and counts.tolist() == [a.shape[0] for a in sh]
    for d, one, sig in zip(batch, sh, sigs):
        assert d.exact_hash == exact_hash(d.tok_hash)
        assert np.array_equal(d.minhash, sig)
        want = fingerprints(one, S.fingerprint_mod) if d.n_tokens >= S.shingle_size else np.zeros(0, np.uint64)
        assert np.array_equal(d.fingerprints, want)
        assert np.array_equal(d.anchors, anchors(d))


def test_candidate_arrays_equal_the_dict(family):
    _, docs = family
    for new in (np.ones(len(docs), dtype=bool), np.arange(len(docs)) % 3 == 0):
        pairs, tags = candidate_pairs(docs, new, S)
        want = lexical_candidates(docs, new, S)
        got = {(i, j): {k for k, b in TAG_BITS.items() if t & b} for (i, j), t in zip(pairs.tolist(), tags.tolist())}
        assert got == want and len(got) == pairs.shape[0]
        assert (pairs[:, 0] < pairs[:, 1]).all()


def test_unique_per_owner_handles_ties_in_the_packed_bits():
    from retold.sign.lexical import _unique_per_owner

    rng = np.random.default_rng(2)
    top = rng.integers(0, 2**60, size=5, dtype=np.uint64) << np.uint64(4)
    vals = top[rng.integers(0, 5, size=200)] | rng.integers(0, 16, size=200).astype(np.uint64)  # low bits differ
    owner = np.sort(rng.integers(0, 3, size=200))
    got = _unique_per_owner(vals, owner, 4)
    for i in range(4):
        assert got[i].tolist() == np.unique(vals[owner == i]).tolist()


def test_class_representatives_give_the_same_pairs_as_all_docs(family):
    """Bucketing one doc per exact-hash class, then expanding, changes no pair."""
    from retold.candidates.lexical import exact_pairs, lsh_pairs

    _, docs = family
    extra = quick_docs([Article(id=f"c{i}", text=docs[k].article.text) for i, k in enumerate((0, 0, 3, 4, 4, 4))])
    sign_lexical(extra, S)
    docs = docs + extra
    d = len(docs)
    for new in (np.ones(d, dtype=bool), np.arange(d) % 3 == 1):
        pairs, tags = candidate_pairs(docs, new, S)
        ex, ls, fp = (set(f(docs, new, S).tolist()) for f in (exact_pairs, lsh_pairs, fingerprint_pairs))
        assert set((pairs[:, 0] * d + pairs[:, 1]).tolist()) == ex | ls | fp
        for (i, j), t in zip(pairs.tolist(), tags.tolist()):
            c = i * d + j
            if c not in ex:  # pairs inside a class are tagged exact only
                assert bool(t & TAG_BITS["lsh"]) == (c in ls) and bool(t & TAG_BITS["fingerprint"]) == (c in fp)


def test_the_jaccard_that_decides_a_duplicate_is_counted_not_estimated():
    """Near-total coverage both ways: duplicate or near_duplicate rests on the shingle Jaccard,
    so it is counted from the token streams (an estimate from 128 slots is off by ~0.03)."""
    import retold
    from retold.model import Article
    from retold.sign.minhash import shingle_overlap

    words = [f"w{i}" for i in range(200)]
    ids = np.arange(1, 201, dtype=np.uint64) * np.uint64(2654435761)
    assert shingle_overlap(ids, ids.copy(), 5).jaccard == 1.0
    # 3 far-apart words changed: 196 shingles each side, 15 of them differ
    changed = ids.copy()
    changed[[50, 100, 150]] += np.uint64(7)
    assert shingle_overlap(ids, changed, 5).jaccard == pytest.approx((196 - 15) / (196 + 15))
    edited = list(words)
    for i in (50, 100, 150):
        edited[i] = edited[i] + "x"
    text = ". ".join(" ".join(words[i : i + 10]) for i in range(0, 200, 10)) + "."
    text2 = ". ".join(" ".join(edited[i : i + 10]) for i in range(0, 200, 10)) + "."
    pair = retold.compare(Article(id="a", text=text, lang="en"), Article(id="b", text=text2, lang="en"))
    assert min(pair.features["verbatim_a"], pair.features["verbatim_b"]) >= 0.9
    assert pair.features["jaccard"] == pytest.approx((196 - 15) / (196 + 15), abs=1e-9)
    assert pair.relation == "near_duplicate"


def test_short_shared_runs_do_not_add_up_to_a_partial_copy():
    """Reports of one event share quotations and stock phrases: a few runs of 8-12 words.
    Counted in tokens they can cover a quarter of a short report; counted in five-grams
    (a run of L words holds L - 4) they weigh about half, while an excerpt keeps its weight."""
    import retold
    from retold.model import Article
    from retold.sign.minhash import shingle_overlap

    def text(words: list[str]) -> str:
        return ". ".join(" ".join(words[i : i + 10]).capitalize() for i in range(0, len(words), 10)) + "."

    a = [f"alpha{i}" for i in range(100)]
    b = [f"beta{i}" for i in range(100)]
    quoted = list(b)
    for at, src in ((5, 10), (40, 50), (75, 80)):  # three 9-word runs of a, far apart
        quoted[at : at + 9] = a[src : src + 9]
    excerpt = list(b)
    excerpt[30:65] = a[20:55]  # one 35-word passage of a
    ids = np.arange(1, 101, dtype=np.uint64)
    assert shingle_overlap(ids, ids[::-1].copy(), 5).containment == 0.0
    assert shingle_overlap(ids, np.concatenate([ids[:50], ids[:50] + np.uint64(1000)]), 5).containment == pytest.approx(46 / 96)

    pq = retold.compare(Article(id="a", text=text(a), lang="en"), Article(id="q", text=text(quoted), lang="en"))
    assert max(pq.features["verbatim_a"], pq.features["verbatim_b"]) >= 0.25  # a quarter of the tokens...
    assert pq.features["containment"] < 0.25  # ...but not of the five-grams
    assert pq.relation != "partial"
    assert copy_relation(pq.features["verbatim_a"], pq.features["verbatim_b"], T)[0] == "partial"  # tokens alone would say so
    pe = retold.compare(Article(id="a", text=text(a), lang="en"), Article(id="e", text=text(excerpt), lang="en"))
    assert pe.features["containment"] >= 0.25 and pe.relation == "partial"
