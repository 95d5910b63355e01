"""Clean: Articles -> Docs ready for matching (sentences, boilerplate, tokens, language).

Nothing here changes ``article.text``: boilerplate is set aside (``sent_boiler``, no
tokens) and Unicode variants are folded only inside token hashes, so every span in a
Doc points into the text as ingested.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from retold.clean.boiler import (
    MAX_COPYRIGHT_WORDS,
    BoilerModel,
    is_generic_boilerplate,
    learn_boilerplate,
)
from retold.clean.lang import LANG_SAMPLE_CHARS, detect_lang
from retold.clean.lines import key_hash_bytes, line_key, line_spans
from retold.clean.quotes import quoted_ranges
from retold.clean.sentences import sentence_spans
from retold.clean.tokens import tokenize, tokenize_many
from retold.config import Settings
from retold.engines.base import Engine
from retold.ingest.records import normalise_lang
from retold.model import Article, Doc
from retold.progress import NullProgress, Progress

__all__ = ["Scanned", "prepare", "prepare_one", "scan_article", "learn_from"]

@dataclass
class Scanned:
    """What the first pass learns about one article: its tokens and its lines.

    A line's key is the hash of its token hashes, so lines compare under the same
    normalisation as matching does (case, quotes, NFKC, diacritics) at no extra cost.
    """

    hashes: np.ndarray  # (T,) uint64, all tokens of the text
    spans: np.ndarray  # (T, 2) int32
    lines: list[tuple[int, int]]  # stripped spans of non-blank lines
    keys: list[int]  # per line: hash of its tokens
    n_words: list[int]  # per line: number of tokens
    generic: list[bool]  # per line: generic furniture shape


def scan_article(text: str, tokens: tuple[np.ndarray, np.ndarray] | None = None) -> Scanned:
    """Tokens and lines of one article, with each line's key, length and furniture flag.

    ``tokens`` is ``tokenize(text)`` when the caller already has it (tokenised in bulk).
    """
    hashes, spans = tokens if tokens is not None else tokenize(text)
    lines = line_spans(text)
    if lines:
        bounds = np.asarray(lines, dtype=np.int64)
        first = np.searchsorted(spans[:, 0], bounds[:, 0], side="left").tolist()
        last = np.searchsorted(spans[:, 0], bounds[:, 1], side="left").tolist()
    else:
        first = last = []
    keys: list[int] = []
    n_words: list[int] = []
    generic: list[bool] = []
    raw = hashes.view(np.uint8) if hashes.size else hashes
    for (a, b), i, j in zip(lines, first, last):
        keys.append(key_hash_bytes(raw[8 * i : 8 * j].tobytes()))
        n = j - i
        n_words.append(n)
        if 0 < n <= MAX_COPYRIGHT_WORDS:  # only short lines can be furniture
            line = text[a:b]
            generic.append(is_generic_boilerplate(line_key(line), n, line))
        else:
            generic.append(False)
    return Scanned(hashes, spans, lines, keys, n_words, generic)


def _in_ranges(starts: np.ndarray, ranges: list[tuple[int, int]]) -> np.ndarray:
    """Whether each position lies in one of the sorted, non-overlapping ``ranges``."""
    if not ranges or starts.size == 0:
        return np.zeros(starts.shape[0], dtype=bool)
    r = np.asarray(ranges, dtype=np.int64)
    i = np.searchsorted(r[:, 0], starts, side="right") - 1
    ok = i >= 0
    out = np.zeros(starts.shape[0], dtype=bool)
    out[ok] = starts[ok] < r[i[ok], 1]
    return out


def prepare_one(article: Article, scanned: Scanned, model: BoilerModel) -> Doc:
    """One article's Doc, given its first-pass scan and the boilerplate learned from the corpus."""
    text = article.text
    spans: list[tuple[int, int]] = []
    boiler: list[bool] = []
    content_lines: list[tuple[int, int]] = []
    seen: set[int] = set()
    per_line = sentence_spans(text, scanned.lines)
    for span, key, n_words, generic, sents in zip(
        scanned.lines, scanned.keys, scanned.n_words, scanned.generic, per_line
    ):
        is_boiler = generic or (n_words > 0 and (key in seen or model.is_boiler(key, article.source)))
        seen.add(key)
        if not is_boiler:
            content_lines.append(span)
        spans.extend(sents)
        boiler.extend([is_boiler] * len(sents))
    sent_spans = np.asarray(spans, dtype=np.int32).reshape(-1, 2)
    sent_boiler = np.asarray(boiler, dtype=bool)

    hashes, tok_spans = scanned.hashes, scanned.spans
    if sent_spans.shape[0] and hashes.size:
        sent_of = np.searchsorted(sent_spans[:, 0], tok_spans[:, 0], side="right") - 1
        keep = sent_of >= 0
        keep[keep] &= tok_spans[keep, 1] <= sent_spans[sent_of[keep], 1]
        keep[keep] &= ~sent_boiler[sent_of[keep]]
        hashes, tok_spans, tok_sent = hashes[keep], tok_spans[keep], sent_of[keep].astype(np.int32)
    else:
        hashes = hashes[:0]
        tok_spans = tok_spans[:0]
        tok_sent = np.zeros(0, dtype=np.int32)
    tok_quoted = _in_ranges(tok_spans[:, 0].astype(np.int64), quoted_ranges(text, content_lines))

    lang = normalise_lang(article.lang)
    if not lang:
        sample: list[str] = []
        size = 0
        for a, b in content_lines:
            sample.append(text[a:b])
            size += b - a + 1
            if size >= LANG_SAMPLE_CHARS:
                break
        lang = detect_lang(" ".join(sample))
    return Doc(
        article=article,
        lang=lang,
        sent_spans=sent_spans,
        sent_boiler=sent_boiler,
        tok_hash=np.ascontiguousarray(hashes, dtype=np.uint64),
        tok_spans=np.ascontiguousarray(tok_spans, dtype=np.int32).reshape(-1, 2),
        tok_sent=tok_sent,
        tok_quoted=tok_quoted,
    )


#: Articles tokenised together: numpy's fixed cost per call is paid once per block.
_BLOCK = 256


def _scan_all(articles: list[Article]) -> Iterator[Scanned]:
    for i in range(0, len(articles), _BLOCK):
        block = [a.text for a in articles[i : i + _BLOCK]]
        for text, tokens in zip(block, tokenize_many(block)):
            yield scan_article(text, tokens)


def prepare(
    articles: list[Article], settings: Settings, progress: Progress | None = None, engine: Engine | None = None,
    boilerplate: BoilerModel | None = None,
) -> list[Doc]:
    """Docs for ``articles``, in order. Boilerplate is learned from these articles together,
    unless ``boilerplate`` gives a model learned from a larger whole (a streamed scan learns it
    from all its input first, so that a line is furniture or content alike in every batch).

    The first pass (tokens, line keys) runs here, vectorised over blocks; the second, per
    article and mostly language identification, runs on ``engine`` (all cores) when given.
    ``settings`` is accepted for the stage contract; cleaning has no tunable settings yet.
    """
    progress = progress or NullProgress()
    scans = list(progress.track(_scan_all(articles), total=len(articles), label="tokens"))
    model = boilerplate if boilerplate is not None else learn_boilerplate([list(zip(s.keys, s.n_words)) for s in scans], [a.source for a in articles])

    def one(i: int) -> Doc:
        return prepare_one(articles[i], scans[i], model)

    items = range(len(articles))
    if engine is None:
        return [one(i) for i in progress.track(items, total=len(articles), label="clean")]
    return list(engine.map(one, items, progress=progress, label="clean"))


def learn_from(articles: Iterable[Article]) -> BoilerModel:
    """The boilerplate model of a stream of articles, holding only each one's line keys (a few
    hundred bytes an article) rather than its text: the first pass of a streamed scan."""
    lines: list[list[tuple[int, int]]] = []
    sources: list[str | None] = []
    for a in articles:
        sc = scan_article(a.text)
        lines.append(list(zip(sc.keys, sc.n_words)))
        sources.append(a.source)
    return learn_boilerplate(lines, sources)
