"""Corpora for the speed benchmark: real news texts plus derived copies with known truth.

Base texts come from the labelled data in ``../shared/data`` (ECB+ documents, WMT16
originals and translations, WMT22 sources, references and MT outputs). Derived copies
are made with a fixed seed, each of one kind whose expected relation is known:

- ``exact``: the same text;
- ``boiler``: the same text under a different header line and footer line;
- ``edit``: ~5% of words replaced and one sentence dropped;
- ``excerpt``: a contiguous 30-60% chunk of the source inserted between two lines of
  another, unrelated article.

Truth for precision: a reported pair is right when the two articles share a base text
(a copy and its source, two copies of one source, an excerpt and its host). Texts of one
WMT document (a source, its references, its MT outputs) are related in ways nobody
labelled, so pairs between them are left out of precision rather than called wrong.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retold.clean.tokens import tokenize, tokenize_many
from retold.model import Article, Doc

KINDS: tuple[str, ...] = ("exact", "boiler", "edit", "excerpt")
EXPECTED: dict[str, str] = {"exact": "duplicate", "boiler": "duplicate", "edit": "near_duplicate", "excerpt": "partial"}
#: Share of a corpus that is derived copies. Kept equal at every size so that corpora of
#: different sizes have the same structure and timings scale comparably; 0.9 because only
#: ~9k distinct real texts of article length exist in the data, and a 100k corpus must be
#: filled without reusing a base text as an "unrelated" article.
DERIVED_SHARE = 0.9
MIN_WORDS = 15  # shorter texts (one-line social posts) are not articles
MIN_SOURCE_WORDS = 60  # copies are made from texts long enough to excerpt

_SENT = re.compile(r"(?<=[.!?])\s+")
_WORDRE = re.compile(r"\w+")


@dataclass
class BaseText:
    text: str
    group: str  # texts of one source document (WMT) share a group


@dataclass
class Corpus:
    articles: list[Article]
    #: per article: indices of base articles it contains text of
    families: list[frozenset[int]]
    #: per article: WMT/ECB groups of those base texts
    groups: list[frozenset[str]]
    #: (source index, derived index, kind)
    truth: list[tuple[int, int, str]] = field(default_factory=list)

    def judge(self, i: int, j: int) -> str:
        """"right", "wrong" or "unjudged" for a reported pair."""
        if self.families[i] & self.families[j]:
            return "right"
        if self.groups[i] & self.groups[j]:
            return "unjudged"
        return "wrong"


def load_base_texts(data: Path) -> list[BaseText]:
    """Distinct real texts of at least ``MIN_WORDS`` words, in a fixed order."""
    data = Path(data)
    out: list[BaseText] = []
    seen: set[str] = set()

    def add(text: str | None, group: str) -> None:
        if not text:
            return
        t = text.strip()
        if len(t.split()) < MIN_WORDS or t in seen:
            return
        seen.add(t)
        out.append(BaseText(t, group))

    ecb = data / "ecbplus" / "docs.jsonl"
    for n, line in enumerate(_lines(ecb), 1):
        d = _json(line, ecb, n)
        add(((d.get("title") or "") + "\n" + (d.get("text") or "")).strip(), f"ecb:{d['doc_id']}")
    w16 = data / "wmt16_enfi_docs" / "doc_pairs.jsonl"
    for n, line in enumerate(_lines(w16), 1):
        d = _json(line, w16, n)
        g = f"wmt16:{d['doc_id']}"
        add(d.get("orig_text"), g)
        for t in (d.get("translations") or {}).values():
            add(t, g)
    w22 = data / "wmt22_general_docs" / "docs.jsonl"
    for n, line in enumerate(_lines(w22), 1):
        d = _json(line, w22, n)
        g = f"wmt22:{d['pair']}:{d['doc_id']}"
        add(d.get("src"), g)
        for r in (d.get("refs") or {}).values():
            add(r.get("text"), g)
        for h in (d.get("hyps") or {}).values():
            add(h.get("text"), g)
    return out


def _lines(path: Path) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: benchmark data file is missing")
    return path.read_text(encoding="utf-8").splitlines()


def _json(line: str, path: Path, n: int) -> dict:
    try:
        return json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{n}: not valid JSON ({e.msg})") from None


_SITES = ["Daily Ledger", "Metro Wire", "The Courier", "NewsHub", "Evening Post", "Global Desk", "City Herald"]


def _boiler(text: str, rng: random.Random) -> str:
    site = rng.choice(_SITES)
    day = rng.randint(1, 28)
    head = f"{site} | {day:02d}.{rng.randint(1, 12):02d}.2023 | Share this article"
    foot = f"(c) 2023 {site}. All rights reserved. Sign up for our newsletter {rng.randint(100, 999)}"
    return f"{head}\n\n{text}\n\n{foot}"


def _edit(text: str, rng: random.Random, vocab: list[str]) -> str:
    sents = _SENT.split(text)
    if len(sents) > 2:
        del sents[rng.randrange(len(sents))]
    t = " ".join(sents) if len(sents) > 1 else sents[0]
    words = list(_WORDRE.finditer(t))
    if not words:
        return t
    n = max(1, round(0.05 * len(words)))
    picks = sorted(rng.sample(range(len(words)), min(n, len(words))))
    parts, last = [], 0
    for p in picks:
        m = words[p]
        parts.append(t[last : m.start()])
        parts.append(rng.choice(vocab))
        last = m.end()
    parts.append(t[last:])
    return "".join(parts)


def _excerpt(source: str, host: str, rng: random.Random) -> str:
    words = list(_WORDRE.finditer(source))
    n = len(words)
    size = max(1, int(n * rng.uniform(0.3, 0.6)))
    start = rng.randrange(0, n - size + 1)
    chunk = source[words[start].start() : words[start + size - 1].end()]
    lines = host.split("\n")
    at = rng.randrange(0, len(lines) + 1)
    return "\n".join(lines[:at] + [chunk] + lines[at:])


def build_corpus(base: list[BaseText], n: int, seed: int = 7) -> Corpus:
    """A corpus of ``n`` articles: distinct base texts plus derived copies (fixed seed)."""
    rng = random.Random(seed)
    n_base = min(len(base), max(2, n - round(DERIVED_SHARE * n)))
    chosen = rng.sample(range(len(base)), n_base)
    arts: list[Article] = []
    fams: list[frozenset[int]] = []
    grps: list[frozenset[str]] = []
    for k, b in enumerate(chosen):
        arts.append(Article(id=f"b{k}", text=base[b].text))
        fams.append(frozenset([k]))
        grps.append(frozenset([base[b].group]))
    sources = [k for k, b in enumerate(chosen) if len(base[b].text.split()) >= MIN_SOURCE_WORDS] or list(range(n_base))
    vocab = ["indeed", "reportedly", "however", "lately", "officials", "sources", "major", "new", "several", "local"]
    truth: list[tuple[int, int, str]] = []
    for d in range(n - n_base):
        kind = KINDS[d % len(KINDS)]
        src = rng.choice(sources)
        text = arts[src].text
        fam, grp = {src}, set(grps[src])
        if kind == "boiler":
            text = _boiler(text, rng)
        elif kind == "edit":
            text = _edit(text, rng, vocab)
        elif kind == "excerpt":
            host = rng.randrange(n_base)
            while grps[host] & grps[src] and n_base > 1:
                host = rng.randrange(n_base)
            text = _excerpt(text, arts[host].text, rng)
            fam.add(host)
            grp |= grps[host]
        truth.append((src, len(arts), kind))
        arts.append(Article(id=f"d{d}-{kind}", text=text))
        fams.append(frozenset(fam))
        grps.append(frozenset(grp))
    return Corpus(arts, fams, grps, truth)


def quick_doc(article: Article) -> Doc:
    """A Doc with one sentence per non-empty line and no boilerplate detection.

    Why not ``retold.clean.prepare``: the copy engine is benchmarked on its own, and this
    keeps its numbers independent of the cleaning stage (language detection, boilerplate).
    """
    return _line_doc(article, *tokenize(article.text))


def quick_docs(articles: list[Article]) -> list[Doc]:
    """:func:`quick_doc` of many articles, tokenised together (``tokenize_many``)."""
    return [_line_doc(a, h, s) for a, (h, s) in zip(articles, tokenize_many([a.text for a in articles]))]


_LINE = re.compile(r"[^\n]*\S[^\n]*")


def _line_doc(article: Article, hashes: np.ndarray, spans: np.ndarray) -> Doc:
    text = article.text
    lines = [m.span() for m in _LINE.finditer(text)]
    sent_spans = np.array(lines, dtype=np.int32).reshape(-1, 2)
    ls = sent_spans[:, 0]
    tok_sent = (np.searchsorted(ls, spans[:, 0], side="right") - 1).astype(np.int32) if ls.shape[0] else np.zeros(0, np.int32)
    return Doc(
        article=article,
        lang="und",
        sent_spans=sent_spans,
        sent_boiler=np.zeros(sent_spans.shape[0], dtype=bool),
        tok_hash=hashes,
        tok_spans=spans,
        tok_sent=tok_sent,
        tok_quoted=np.zeros(hashes.shape[0], dtype=bool),
    )
