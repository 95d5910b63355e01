"""A batch compared with the indexed docs of its candidate pairs a part at a time.

Why: a batch's candidate pairs can name most of a large index. On the speed bench's corpus
(every copy pairs with the earlier copies of its source) a batch of 5,000 against 10,000
indexed articles named 9,898 of them, and each was read whole (text, tokens, sentence
vectors: about 50 KB), so the memory of a batch grew with the index. Here the indexed docs
are read ``Settings.index_part_docs`` at a time; each part's pairs are compared and its docs
let go before the next part is read.

The pairs are those of comparing everything at once, because what the comparison shares
stays within a part:

- twins (``retold.decide.identical``: one text, compared once, the others replayed) have one
  exact hash, and the docs of one exact hash go into one part (unless they alone are more
  than a part);
- a pair of two new docs goes into the part of the first one's exact hash, where the pairs
  it would replay from are;
- the indexed twin of a new doc (``retold.index.twins``), whose stored pairs are replayed
  for it against every part, is read once and kept (the first two indexed docs of each new
  doc's exact hash);
- the second model's pass (phase 2 of ``retold.decide.flow``), whose budget and choices are
  over all the pairs, runs once over every part's pairs in their order of comparing them all
  at once, reading again only the docs of the pairs it is asked about.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from retold.config import Settings
from retold.decide.flow import first_phase, second_model_pass
from retold.engines import Engine
from retold.index.incremental import Found
from retold.index.twins import replay_indexed_twins
from retold.model import Doc, Pair
from retold.progress import Progress
from retold.sign.names import sign_indexed_names

#: indexed docs of one exact hash kept for the whole batch, as the new docs' possible twins
TWINS_KEPT = 2


def parts_of(universe: list[int], exact_hash, max_docs: int) -> list[list[int]]:  # noqa: ANN001 - a numpy array
    """``universe`` (positions in the index, sorted) cut into parts of at most ``max_docs``,
    the docs of one exact hash together, each part sorted."""
    groups: dict[int, list[int]] = {}
    for p in universe:
        groups.setdefault(int(exact_hash[p]), []).append(p)
    parts: list[list[int]] = []
    cur: list[int] = []
    for members in groups.values():
        for k in range(0, len(members), max_docs):  # more twins than a part holds: cut
            piece = members[k : k + max_docs]
            if cur and len(cur) + len(piece) > max_docs:
                parts.append(sorted(cur))
                cur = []
            cur += piece
    if cur:
        parts.append(sorted(cur))
    return parts


class _Docs(Mapping):
    """Docs by id for the second model's pass: the new docs, the kept ones, and any other read
    from the index when first asked for (with its names), then kept."""

    def __init__(self, found: Found, at: dict[str, int], held: dict[str, Doc], names: dict[str, dict[str, float]] | None,
                 engine: Engine, progress: Progress) -> None:
        self._found, self._at, self._held, self._names = found, at, held, names
        self._engine, self._progress = engine, progress

    def __getitem__(self, doc_id: str) -> Doc:
        d = self._held.get(doc_id)
        if d is None:
            p = self._at[doc_id]
            d = self._found.lazy[p]
            sign_indexed_names([d], self._names, self._engine, self._progress)
            self._held[doc_id] = d
        return d

    def __iter__(self) -> Iterator[str]:
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)


def compare_in_parts(
    idx, found: Found, new_docs: list[Doc], settings: Settings, engine: Engine, progress: Progress,  # noqa: ANN001
    stats: dict[str, float], names: dict[str, dict[str, float]] | None,
) -> tuple[list[Pair], list[Doc]]:
    """(the new pairs, the indexed docs whose second-model vectors were grown meanwhile, to
    write back). ``found``: from ``indexed_candidates(..., read=False)``; ``names``: the held
    names of a long-lived index (extended here), or None."""
    light, lazy, cand = found.light, found.lazy, found.cand
    n = len(light.seq)
    parts = parts_of(found.universe, light.exact_hash, settings.index_part_docs)
    part_of = {p: k for k, part in enumerate(parts) for p in part}
    first_of_hash: dict[int, list[int]] = {}
    for p in found.universe:
        kept = first_of_hash.setdefault(int(light.exact_hash[p]), [])
        if len(kept) < TWINS_KEPT:
            kept.append(p)
    pinned = sorted({p for d in new_docs for p in first_of_hash.get(int(d.exact_hash or 0), ())})
    work: list[dict[tuple[int, int], set[str]]] = [{} for _ in range(len(parts) + 1)]  # the last: new pairs alone
    for (i, j), why in cand.items():
        if i < n:
            k = part_of[i]
        else:
            twins = first_of_hash.get(int(new_docs[i - n].exact_hash or 0))
            k = part_of[twins[0]] if twins else len(parts)
        work[k][(i, j)] = why
    order = {ij: r for r, ij in enumerate(cand)}
    pos_of = {d.id: n + r for r, d in enumerate(new_docs)}

    refreshed: dict[str, Doc] = {}
    held: dict[str, Doc] = {d.id: d for d in new_docs}
    lazy.prefetch(pinned)
    for p in pinned:
        held[lazy.loaded[p].id] = lazy.loaded[p]
    sign_indexed_names([lazy.loaded[p] for p in pinned], names, engine, progress)
    pinned_set = set(pinned)

    phase1: list[tuple[tuple[int, int], Pair, set[str]]] = []
    twin_pairs: list[tuple[int, Pair]] = []
    stats["index_parts"] = float(sum(1 for w in work if w))
    for k, items in enumerate(work):
        if not items:
            continue
        olds = sorted(set(parts[k] if k < len(parts) else ()) | pinned_set | {x for ij in items for x in ij if x < n})
        lazy.prefetch(olds)
        old_docs = [lazy.loaded[p] for p in olds]
        sign_indexed_names([d for p, d in zip(olds, old_docs) if p not in pinned_set], names, engine, progress)
        docs = old_docs + list(new_docs)
        where = {p: r for r, p in enumerate(olds)}
        where.update({n + r: len(olds) + r for r in range(len(new_docs))})
        back = {r: p for p, r in where.items()}
        local = {(where[i], where[j]): why for (i, j), why in items.items()}
        replayed, left = replay_indexed_twins(idx, docs, len(olds), local, settings)
        ids = {d.id: q for q, d in zip(olds, old_docs)}
        for p in replayed:  # by its place among all the candidate pairs, as one pass would give them
            a, b = ids.get(p.a, pos_of.get(p.a)), ids.get(p.b, pos_of.get(p.b))
            twin_pairs.append((order[(min(a, b), max(a, b))], p))
        stats["pairs_from_indexed_twins"] = stats.get("pairs_from_indexed_twins", 0.0) + float(len(local) - len(left))
        first, why, kept = first_phase(docs, left, settings, engine, progress, stats)
        phase1 += [((back[i], back[j]), p, w) for (i, j), p, w in zip(kept, first, why)]
        for p in olds:  # let the part go, but for the docs kept and those whose vectors grew
            if p in pinned_set:
                continue
            d = lazy.loaded.pop(p)
            if d.second_vecs is not lazy.second_before.pop(p):
                refreshed[d.id] = d
                held[d.id] = d
        del docs, old_docs, local, left
    phase1.sort(key=lambda t: t[0])
    at = {doc_id: k for k, doc_id in enumerate(light.ids)}  # an indexed doc's place, by id
    by_id = _Docs(found, at, held, names, engine, progress)
    new_lang = {d.id: d.lang for d in new_docs}

    def lang_of(doc_id: str) -> str:
        return new_lang[doc_id] if doc_id in new_lang else light.lang[at[doc_id]]

    pairs = second_model_pass(
        [p for _, p, _ in phase1], [w for _, _, w in phase1], by_id, settings, progress, stats, engine=engine,
        lang_of=lang_of,
    )
    twin_pairs.sort(key=lambda t: t[0])
    for p, d in sorted(lazy.loaded.items()):  # read again by the second model's pass, or kept
        if d.second_vecs is not lazy.second_before.get(p, d.second_vecs):
            refreshed[d.id] = d
    return pairs + [p for _, p in twin_pairs], list(refreshed.values())


__all__ = ["compare_in_parts", "parts_of", "TWINS_KEPT"]
