"""Rare names and numbers of an article, weighted by how rare they are in the language.

Two reports of one event share its specific names (a village, an official, a figure);
two reports of different events in one storyline share only the storyline's common names
(the country, the president). Word frequencies from ``wordfreq`` (offline, 40+ languages)
tell the two kinds apart without needing a large corpus of our own. Names are keyed by
their first five letters without diacritics, so that inflected forms (Finnish "Obaman")
and transliterations that agree on a prefix still meet across languages; names in other
scripts (Cyrillic, Greek...) are transliterated first, so Ukrainian "Зеленський" and
English "Zelensky" share the key "zelen".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from retold.clean.tokens import MARKS
from retold.model import Doc

if TYPE_CHECKING:
    from retold.engines.base import Engine
    from retold.progress import Progress

#: a letter, or a combining mark after one: ``\\w`` leaves marks out, and the vowel signs of
#: Devanagari, Bengali or Thai are marks ("सरकार" read as "सरक" and "र" before)
_LETTER = f"(?:[^\\W\\d_]|[{MARKS}])"
_TOKEN = re.compile(f"[^\\W\\d_](?:[\\w'’-]|[{MARKS}])*|\\d[\\d.,]*\\d|\\d", re.UNICODE)
#: a name as common as zipf 6 (top ~100 words) weighs nothing; an unseen one weighs 6
MAX_ZIPF = 6.0
PREFIX = 5
#: anonymisation placeholders (#PRS_ORG#, [NAME], <EMAIL>, {URL}) and identifiers with an underscore
_PLACEHOLDER = re.compile(r"#\w+#|\[\w+\]|<\w+>|\{\w+\}|\w*_\w*", re.UNICODE)


def _sentence_text(text: str, a: int, b: int) -> str:
    """``text[a:b]`` with placeholders blanked out (same length, so offsets hold).

    Anonymised corpora (customer-service chats; WMT22's #PRS_ORG# and #NAME#) put the same
    unseen, hence "rare", token in every text: read as a name it made any two chats share
    their rarest name (WMT22 short texts, tune: most of 1,431 false same_story pairs).
    """
    part = text[a:b]
    if "_" not in part and not any(c in part for c in "#[<{"):
        return part
    return _PLACEHOLDER.sub(lambda m: " " * len(m.group()), part)


@lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    import wordfreq

    return frozenset(wordfreq.available_languages())


#: languages whose wordfreq lists need an extra segmenter (jieba, mecab) we do not install
_SEGMENTED = frozenset({"zh", "ja", "ko", "th"})
#: weight of a word we cannot look up: rare-ish, but not as telling as a known-rare one
UNKNOWN_RARITY = 3.0


@lru_cache(maxsize=500_000)
def rarity(word: str, lang: str) -> float:
    import wordfreq

    if lang in _SEGMENTED or lang not in _languages():
        if not word.isascii():
            return UNKNOWN_RARITY
        lang = "en"  # Latin-script names inside CJK text, or an unknown language
    try:
        return max(0.0, MAX_ZIPF - wordfreq.zipf_frequency(word, lang))
    except Exception:  # wordfreq may need an optional tokenizer for some scripts
        return UNKNOWN_RARITY


def _fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def name_key(word: str) -> str:
    """Key of a (lower-cased) name: Latin letters without diacritics, first ``PREFIX`` of them."""
    folded = _fold(word)
    if not folded.isascii():
        from anyascii import anyascii

        folded = anyascii(folded).lower()
    letters = "".join(c for c in folded if c.isalnum())
    return (letters or folded)[:PREFIX]


def sentence_names(doc: Doc, si: int) -> dict[str, float]:
    """{name key: rarity weight} of one sentence: capitalised words not opening it, and numbers."""
    out: dict[str, float] = {}
    text = doc.article.text
    a, b = int(doc.sent_spans[si, 0]), int(doc.sent_spans[si, 1])
    first = True
    for m in _TOKEN.finditer(_sentence_text(text, a, b)):
        t = m.group()
        if t[0].isdigit():
            key = "#" + t.replace(",", "").replace(".", "")
            w = 2.0 if len(key) > 2 else 0.5
        elif t[0].isupper() and not first:
            low = t.lower()
            key = name_key(low)
            w = rarity(low, doc.lang)
        else:
            first = False
            continue
        first = False
        if w > 0 and w > out.get(key, 0.0):
            out[key] = w
    return out


def doc_names(doc: Doc) -> dict[str, float]:
    """{name key: rarity weight} over content sentences; cached on the doc."""
    cached = doc.__dict__.get("_names")
    if cached is not None:
        return cached
    out: dict[str, float] = {}
    for si in doc.content_sentences():
        for k, w in sentence_names(doc, int(si)).items():
            if w > out.get(k, 0.0):
                out[k] = w
    doc.__dict__["_names"] = out
    return out


def known_names(doc: Doc) -> dict[str, float] | None:
    """The doc's rare names if they were worked out already (``doc_names``), else None."""
    return doc.__dict__.get("_names")


def give_names(doc: Doc, names: dict[str, float]) -> None:
    """Give ``doc`` the names ``doc_names`` gave a doc of the same text before (kept by a
    long-lived index between batches), so that ``sign_names`` does not work them out again."""
    doc.__dict__["_names"] = names


def sign_indexed_names(
    docs: list[Doc], held: dict[str, dict[str, float]] | None, engine: Engine | None = None,
    progress: Progress | None = None,
) -> None:
    """The names (not the words) of indexed docs read whole for a scan, which compare reads:
    taken from ``held`` (a long-lived index's, ``Index.held_names``) where an earlier batch
    worked them out, else worked out here and added to ``held``."""
    if held:
        for d in docs:
            if d.id in held:
                give_names(d, held[d.id])
    sign_names(docs, engine, progress, words_of=[False] * len(docs))
    if held is not None:
        held.update((d.id, n) for d in docs if (n := known_names(d)) is not None)


def sign_names(
    docs: list[Doc],
    engine: Engine | None = None,
    progress: Progress | None = None,
    words_of: Sequence[bool] | None = None,
) -> None:
    """Fill the docs' name weights (``doc_names``) and, where ``words_of`` says so (default:
    every doc), their content-word weights (``doc_words``), on ``engine``.

    Candidates read the names of every doc; compare reads both for every pair. Left lazy, the
    rarity lookups (wordfreq) ran one doc after another in the candidate stage (a fifth of
    it), and each compare worker redid the words of every doc it met. A scan against an index
    asks words of its new docs only: every compared pair holds one, and an old doc's words
    are read lazily where it meets a new doc, rather than for the whole index on every run.
    The word lists are loaded here first, in this process, so that forked workers share them
    rather than each loading its own copy.
    """
    want = [True] * len(docs) if words_of is None else [bool(w) for w in words_of]
    todo = [(d, w) for d, w in zip(docs, want) if "_names" not in d.__dict__ or (w and "_words" not in d.__dict__)]
    if not todo:
        return
    for lang in sorted({d.lang or "" for d, _ in todo}):
        rarity("the", lang)

    def fill(i: int) -> tuple[dict[str, float], dict[str, float] | None]:
        d, w = todo[i]
        return doc_names(d), (doc_words(d) if w else None)

    items = range(len(todo))
    done = map(fill, items) if engine is None else engine.map(fill, items, progress=progress, label="names")
    for (d, _), (names, words) in zip(todo, done):
        d.__dict__["_names"] = names  # in place already when filled here; workers' copies come back
        if words is not None:
            d.__dict__["_words"] = words


def weighted_overlap(x: dict[str, float], y: dict[str, float], min_mass: float = 0.0) -> tuple[float, float]:
    """(weighted overlap coefficient, weighted Jaccard) of two weighted sets; the overlap
    coefficient's denominator (the smaller set's weight) is counted as at least ``min_mass``."""
    if not x or not y:
        return 0.0, 0.0
    shared = sum(min(x[k], y[k]) for k in x.keys() & y.keys())
    sx, sy = sum(x.values()), sum(y.values())
    return shared / max(min(sx, sy), min_mass), shared / (sx + sy - shared)


def names_overlap(a: Doc, b: Doc) -> tuple[float, float]:
    """(weighted overlap coefficient, weighted Jaccard) of the two articles' rare names."""
    return weighted_overlap(doc_names(a), doc_names(b))


#: Name weight a text must carry before "all my names are in yours" says "one event": about
#: three rare names. A one-sentence brief ("Matt Smith named the next Doctor") names one or
#: two people, and every report of the storyline names them too, so its plain overlap
#: coefficient is 1.0 against the report of the next event as well (ECB+ briefs of one
#: sentence). Chosen on the tune split with a stress copy whose briefs were cut to their
#: first sentence (docs/DECISIONS.md, "Short texts").
CONTAINED_MIN_MASS = 10.0


def names_contained(a: Doc, b: Doc, min_mass: float = CONTAINED_MIN_MASS) -> float:
    """Share of the smaller name set found in the other, the smaller counted as at least ``min_mass``.

    The overlap coefficient with a floor under its denominator: the same for texts with
    names enough, lower for a text whose few names cannot show the event on their own.
    """
    return weighted_overlap(doc_names(a), doc_names(b), min_mass)[0]


_WORD = re.compile(f"[^\\W\\d_]{_LETTER}{{2,}}", re.UNICODE)
#: content words rarer than this (zipf 4.5: about one in 30,000 words) carry the topic
MIN_WORD_RARITY = 1.5


def doc_words(doc: Doc) -> dict[str, float]:
    """{content word: rarity weight} over content sentences; cached on the doc.

    Where names say which event, the rarer common words (rehab, earthquake, merger,
    spillway) say which topic: two reports of different events of one storyline share
    them, unrelated news does not.
    """
    cached = doc.__dict__.get("_words")
    if cached is not None:
        return cached
    out: dict[str, float] = {}
    text = doc.article.text
    for si in doc.content_sentences():
        a, b = int(doc.sent_spans[si, 0]), int(doc.sent_spans[si, 1])
        for m in _WORD.finditer(_sentence_text(text, a, b)):
            w = m.group().lower()
            if w in out:
                continue
            r = rarity(w, doc.lang)
            if r >= MIN_WORD_RARITY:
                out[w] = r
    doc.__dict__["_words"] = out
    return out


def sentence_words(doc: Doc, si: int) -> dict[str, float]:
    """{word key: rarity weight} of one sentence's rarer content words, keyed like names
    (first letters, no diacritics) so that inflected forms of one word meet."""
    out: dict[str, float] = {}
    text = doc.article.text
    a, b = int(doc.sent_spans[si, 0]), int(doc.sent_spans[si, 1])
    for m in _WORD.finditer(_sentence_text(text, a, b)):
        w = m.group().lower()
        r = rarity(w, doc.lang)
        if r >= MIN_WORD_RARITY:
            key = "~" + name_key(w)  # apart from name keys: a name and a word may share letters
            if r > out.get(key, 0.0):
                out[key] = r
    return out


def words_overlap(a: Doc, b: Doc) -> tuple[float, float]:
    """(weighted overlap coefficient, weighted Jaccard) of the two articles' content words."""
    return weighted_overlap(doc_words(a), doc_words(b))
