"""Partners for texts that nothing else could place: the second model's lead vectors.

A text in a language the sentence encoder lacks (Croatian, Finnish, Czech, Ukrainian...)
has no article vector, so only shared rare names, numbers and sentence rhythm can find
its translation (``semantic.anchor_candidates``). A short product review or a name-poor
report has none of those, and stays an *orphan*: no candidate in another language at all.
On the WMT22 en-hr e-commerce tune documents, 138 of 235 Croatian texts were orphans and
every one of their 138 English originals was missed.

For those orphans we ask the second, slower model (multilingual-E5, ``sign/second.py``):
the mean vector of each text's first sentences, and each orphan's nearest texts in other
languages. It found all 138 originals among the 3 nearest. Its cost grows with the number
of texts it must read (about 12 texts/s on 2 cores with E5 itself; nothing with the static
encoder, which read every text in the sign stage, so there only the text budget is lifted), so the work is bounded: texts of
similar length only (a translation keeps its length between alphabetic scripts), one text
read for each group of copies (texts the lexical signals already tie together: the machine
translations of one source, a wire story and its reprints), and at most
``Settings.rescue_max_texts`` texts per run; past that the rescue is skipped, and the run's
stats say so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from retold.clean.lang import same_language, written_language
from retold.graphs import components
from retold.model import content_length
from retold.sign.second import available, cheap, lead_vector, unread_sentences
from retold.config import Settings
from retold.model import Doc
from retold.progress import NullProgress, Progress

log = logging.getLogger(__name__)

#: scripts whose length in characters says little about a translation's length in another
_LOGOGRAPHIC = frozenset({"zh", "ja", "ko", "th"})
#: shortest / longest content length of an orphan and a possible partner in alphabetic scripts
MIN_LENGTH_RATIO = 0.5
#: partners kept per orphan (groups of copies count once)
PER_ORPHAN = 3
#: members of one group of copies proposed for one orphan, at most
PER_GROUP = 20
#: texts read per orphan served, at most, when the budget cannot serve every orphan: below this
#: the orphans share most of their possible partners (texts of one kind and length, as the
#: reviews of WMT22 e-commerce: 196 texts read for 138 orphans); above it the budget goes on
#: partners, not orphans (a random 1,000 news texts: 2 of 200 orphans served for 300 texts)
MAX_TEXTS_PER_ORPHAN = 20
#: signals that tie two texts of one language as (nearly) the same text
_COPY_SIGNALS = frozenset({"exact", "lsh", "fingerprint"})


def copy_groups(docs: list[Doc], found: dict[tuple[int, int], set[str]], lang_of: Callable[[int], str] | None = None) -> np.ndarray:
    """Each doc's group representative: the smallest index among the texts that the lexical
    signals tie to it, within one written language."""
    lang_of = lang_of or (lambda i: docs[i].lang)
    ties = [(i, j) for (i, j), sig in found.items() if sig & _COPY_SIGNALS and same_language(lang_of(i), lang_of(j))]
    rep = np.arange(len(docs), dtype=np.int64)
    for comp in components(sorted({x for e in ties for x in e}), ties):
        rep[comp] = comp[0]
    return rep


def orphans(
    docs: list[Doc], is_new: np.ndarray, found: dict[tuple[int, int], set[str]], lang_of: Callable[[int], str] | None = None
) -> list[int]:
    """New texts without sentence vectors that no candidate links to a text in another language."""
    lang_of = lang_of or (lambda i: docs[i].lang)
    linked = np.zeros(len(docs), dtype=bool)
    for i, j in found:
        if not same_language(lang_of(i), lang_of(j)):
            linked[i] = linked[j] = True
    out = []
    for i in np.flatnonzero(is_new).tolist():
        d = docs[i]
        if d.sent_vecs is None and not linked[i] and len(d.content_sentences()):
            out.append(i)
    return out


@dataclass
class TextTable:
    """What the rescue reads of every text, as arrays: an index gives these without its docs."""

    lang: np.ndarray  # object: each text's language
    lengths: np.ndarray  # float64: content length
    readable: np.ndarray  # bool: has content sentences
    lead: np.ndarray | None = None  # float32 (n, dim): the static model's lead vectors (zeros: none); None: read from the docs

    @classmethod
    def of(cls, docs: Sequence[Doc]) -> TextTable:
        return cls(
            lang=np.array([d.lang for d in docs], dtype=object),
            lengths=np.array([content_length(d) for d in docs], dtype=np.float64),
            readable=np.array([len(d.content_sentences()) > 0 for d in docs], dtype=bool),
        )


def rescue_candidates(
    docs: list[Doc],
    is_new: np.ndarray,
    found: dict[tuple[int, int], set[str]],
    settings: Settings,
    stats: dict[str, float] | None = None,
    progress: Progress | None = None,
    *,
    texts: TextTable | None = None,
) -> dict[tuple[int, int], set[str]]:
    """Pairs (i < j) of each orphan with its ``PER_ORPHAN`` nearest texts (or groups of copies)
    in other languages.

    Tagged "rescue". Empty when the second model is not installed or there is no orphan.
    Reading lead vectors is bounded by ``settings.rescue_max_texts``: orphans are served
    shortest first while their possible partners fit, and when not all of them fit, only if
    that costs at most ``MAX_TEXTS_PER_ORPHAN`` texts per orphan served
    (``stats["rescue_left"]`` counts the orphans left; ``rescue_skipped`` says none was served). Aligning the pairs reads whole texts:
    orphans whose best partner stands out least are dropped once that would pass
    ``settings.rescue_max_sentences``.
    """
    stats = stats if stats is not None else {}
    lang_of = (lambda i: texts.lang[i]) if texts is not None else None
    lonely = orphans(docs, is_new, found, lang_of)
    stats["rescue_orphans"] = float(len(lonely))
    if not lonely or not available():
        return {}
    texts = texts if texts is not None else TextTable.of(docs)
    lengths, readable = texts.lengths, texts.readable
    written = np.array([written_language(x) or "" for x in texts.lang], dtype=object)
    logographic = np.array([x in _LOGOGRAPHIC for x in texts.lang], dtype=bool)
    rep = copy_groups(docs, found, lang_of)
    free = cheap()  # the static encoder read every text in the sign stage: no budget to keep
    if free:
        out = _nearest_free(docs, lonely, lengths, written, logographic, readable, rep, texts.lead)
        stats["rescue_texts"] = 0.0
        stats["rescue_pairs"] = float(len(out))
        stats["rescue_sentences"] = 0.0
        return out
    partners: dict[int, np.ndarray] = {}
    needed: set[int] = set()
    left, refused = 0, 0
    # Shortest first: short texts are read fastest, and orphans of similar length share
    # most of their possible partners, so the budget serves as many orphans as it can.
    # An orphan whose partners would pass the budget is left without a look (counted);
    # once as many orphans have been refused as the budget holds texts, the rest are too.
    # Where the budget serves only some, it must serve them cheaply (MAX_TEXTS_PER_ORPHAN).
    for o in sorted(lonely, key=lambda i: (lengths[i], i)):
        if refused >= settings.rescue_max_texts:
            left += 1
            continue
        ratio = np.minimum(lengths, lengths[o]) / np.maximum(np.maximum(lengths, lengths[o]), 1.0)
        # a translation keeps its length between alphabetic scripts; not so to or from Chinese
        similar = ratio >= MIN_LENGTH_RATIO if not logographic[o] else np.ones(len(docs), dtype=bool)
        ok = (written != written[o]) & readable & (similar | logographic)
        ok[o] = False
        found_here = np.flatnonzero(ok)
        more = {o, *rep[found_here].tolist()} - needed  # one text read per group of copies
        if not free and len(needed) + len(more) > settings.rescue_max_texts:
            left += 1
            refused += 1
            continue
        partners[o] = found_here
        needed |= more
    if left and len(needed) > MAX_TEXTS_PER_ORPHAN * len(partners):
        left += len(partners)  # too few served for what they cost: none are
        partners.clear()
    lonely = [o for o in lonely if o in partners]
    stats["rescue_texts"] = float(len(needed)) if partners else 0.0
    if left:
        stats["rescue_left"] = float(left)
        log.warning(
            "second-model rescue: %d of %d texts without a partner in another language left without a look; "
            "their possible partners would pass Settings.rescue_max_texts = %d texts read",
            left, left + len(lonely), settings.rescue_max_texts,
        )
    if not lonely:
        stats["rescue_skipped"] = 1.0
        return {}
    progress = progress or NullProgress()
    vecs = {i: lead_vector(docs[i]) for i in progress.track(sorted(needed), total=len(needed), label="second model: lead vectors")}
    plans: list[tuple[float, int, list[int]]] = []
    for o in lonely:
        vo = vecs[o]
        if vo is None:
            continue
        members: dict[int, list[int]] = {}
        for j in partners[o].tolist():
            members.setdefault(int(rep[j]), []).append(j)
        scored = sorted(((float(vecs[r] @ vo), r) for r in members if vecs[r] is not None), reverse=True)
        if not scored:
            continue
        # how clearly the best stands out from the texts that are merely about the same kind of thing
        rest = scored[PER_ORPHAN][0] if len(scored) > PER_ORPHAN else scored[-1][0]
        chosen = [j for _, r in scored[:PER_ORPHAN] for j in members[r][:PER_GROUP]]
        plans.append((scored[0][0] - rest, o, chosen))
    # each rescued pair is aligned by the second model over whole texts: the costly part.
    # Spend the sentence budget on the clearest orphans first; the rest are dropped.
    out: dict[tuple[int, int], set[str]] = {}
    planned: set[int] = set()
    spent, dropped = 0, 0
    for _, o, chosen in sorted(plans, key=lambda x: (-x[0], x[1])):
        cost = sum(unread_sentences(docs[d]) for d in {o, *chosen} - planned)
        if spent + cost > settings.rescue_max_sentences:
            dropped += 1
            continue
        spent += cost
        planned.update((o, *chosen))
        for j in chosen:
            a, b = (o, j) if o < j else (j, o)
            out.setdefault((a, b), set()).add("rescue")
    stats["rescue_pairs"] = float(len(out))
    stats["rescue_sentences"] = float(spent)
    if dropped:
        stats["rescue_dropped"] = float(dropped)
        log.warning(
            "second-model rescue: %d of %d orphan texts dropped, their alignment would pass Settings.rescue_max_sentences = %d",
            dropped, len(plans), settings.rescue_max_sentences,
        )
    return out


def _nearest_free(
    docs: list[Doc],
    lonely: list[int],
    lengths: np.ndarray,
    written: np.ndarray,
    logographic: np.ndarray,
    readable: np.ndarray,
    rep: np.ndarray,
    lead: np.ndarray | None = None,
) -> dict[tuple[int, int], set[str]]:
    """The rescue where every text's lead vector is at hand (the static second model): the same
    partners as below (other written language, like length, one choice per group of copies,
    ``PER_ORPHAN`` groups, ``PER_GROUP`` members each), scored in one product per orphan.
    ``lead``: the lead vectors as rows (an index keeps them), else read from the docs."""
    if lead is None:
        dim = next((v.shape[1] for d in docs if (v := d.second_vecs) is not None and len(v)), 0)
        lead = np.zeros((len(docs), dim), dtype=np.float32)
        for i, d in enumerate(docs):
            v = lead_vector(d) if readable[i] else None
            if v is not None:
                lead[i] = v
    has = np.abs(lead).sum(axis=1) > 0
    out: dict[tuple[int, int], set[str]] = {}
    for o in lonely:
        if not has[o]:
            continue
        ratio = np.minimum(lengths, lengths[o]) / np.maximum(np.maximum(lengths, lengths[o]), 1.0)
        similar = ratio >= MIN_LENGTH_RATIO if not logographic[o] else np.ones(len(docs), dtype=bool)
        ok = (written != written[o]) & readable & has & (similar | logographic)
        ok[o] = False
        cand = np.flatnonzero(ok)
        if not len(cand):
            continue
        score = lead[rep[cand]] @ lead[o]  # a group of copies scores as the text read for it
        order = np.lexsort((cand, -score))
        groups: list[int] = []
        members: dict[int, list[int]] = {}
        for k in order.tolist():
            g = int(rep[cand[k]])
            if g not in members:
                if len(groups) == PER_ORPHAN:
                    break  # a group's members share its score, so they come together
                groups.append(g)
                members[g] = []
            if len(members[g]) < PER_GROUP:
                members[g].append(int(cand[k]))
        for g in groups:
            for j in members[g]:
                a, b = (o, j) if o < j else (j, o)
                out.setdefault((a, b), set()).add("rescue")
    return out


__all__ = ["rescue_candidates", "orphans", "TextTable"]
