"""Boilerplate: learned from the corpus itself, plus a few shapes that are furniture anywhere.

Three kinds of line are set aside for matching (they stay in the stored text):

* **corpus boilerplate**: a line that recurs in articles that are *not copies of each
  other*. Counting documents alone would be wrong here: in a news corpus every line of a
  syndicated story recurs in every copy. So articles are first grouped into copy
  clusters (articles sharing a good share of their long lines), and a line is
  boilerplate when it appears in at least ``MIN_CLUSTERS`` clusters (lines of up to
  ``MAX_BOILER_WORDS`` words only), or in two clusters of the same ``source`` (a site's
  own footer or author bio, of any length).
* **repeats within an article**: the second and later occurrences of a line (photo
  captions a CMS printed three times); the first stays content.
* **generic furniture**: short lines shaped like "Read more ...", "Source: Read Full
  Article", "Share", "Related News", "Comments".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

#: A line of at most ``MAX_BOILER_WORDS`` words recurring in this many independent
#: articles is boilerplate. Longer lines are only boilerplate within one source: a long
#: paragraph in several unrelated articles is far more often an excerpt of wire copy
#: (which the matcher must see) than site furniture.
MIN_CLUSTERS = 3
MAX_BOILER_WORDS = 30
#: Lines of at least this many words identify copies (short ones are too common).
LONG_LINE_WORDS = 8
#: Lines shared by at most this many articles link every pair of them; a line shared by
#: more (a story syndicated everywhere) links each article to its first ``ANCHORS`` holders
#: only, so the cost stays linear in the number of holders.
PAIR_DF_CAP = 64
ANCHORS = 8
#: Two articles are copies when they share this share of the shorter one's long lines.
COPY_SHARE = 0.3
#: Generic furniture patterns are only tried on lines of at most this many words.
MAX_GENERIC_WORDS = 12
#: A line that opens with a copyright mark may run longer: a site's footer puts the notice, the
#: rights and a newsletter call on one line ("(c) 2023 The Courier. All rights reserved. Sign up
#: for our newsletter"), 14 words that the 12-word bar let through as content, so that a copy
#: under another site's footer was a near_duplicate, not a duplicate.
MAX_COPYRIGHT_WORDS = 30

_GENERIC = re.compile(
    r"^(?:"
    r"(?:source )?read (?:the )?(?:full|more|original|complete|whole)\b.*"
    r"|(?:continue|keep) reading\b.*"
    r"|(?:click|tap) here\b.*"
    r"|share(?: this)?(?: article| story| post| page)?(?: on \w+)?"
    r"|share on \w+.*|tweet|e ?mail|print"
    r"|comments?|no comments?(?: found| yet)?|(?:leave|post|add) a (?:comment|reply)\b.*|\d+ comments?"
    r"|related(?: news| articles?| stories| posts| content| topics| coverage)?"
    r"|more (?:on|about) this(?: story| topic)?|see also|you may also like|recommended(?: for you)?"
    r"|most (?:read|popular|viewed)|trending(?: now)?|top stories|latest news"
    r"|advertisement|advertising|sponsored(?: content)?|ad"
    r"|subscribe\b.*|sign up\b.*|follow us\b.*|join us on\b.*|download (?:our|the) app\b.*"
    r"|tags?|topics?"
    r"|(?:.* )?all rights reserved\b.*|copyright \d{4}\b.*"
    r"|(?:image|photo|picture)s? (?:source|credit)s?\b.*"
    r"|skip to (?:main )?content|back to top|loading"
    r"|afp|reuters|ap|dpa|efe|ansa|xinhua|tass|upi|pa media"
    r")$"
)


#: Shapes that live in punctuation, tried on the raw line: "© 2024 ...", "(c) ...", "Tags: ...".
_GENERIC_RAW = re.compile(r"^\s*(?:©|\(c\)\s|copyright\s*©|tags?\s*:|topics?\s*:|keywords?\s*:)", re.IGNORECASE)
_COPYRIGHT = re.compile(r"^\s*(?:©|\(c\)\s|copyright\s*(?:©|\(c\)|\d{4}\b.*\brights reserved\b))", re.IGNORECASE)
_MENU_SEP = re.compile(r"\s[|•·»›/]\s|\s{3,}|\t")


def is_menu(line: str) -> bool:
    """A navigation bar: three or more items of one to three words between separators."""
    items = [x for x in _MENU_SEP.split(line) if x.strip()]
    return len(items) >= 3 and all(len(x.split()) <= 3 for x in items)


def is_generic_boilerplate(key: str, n_words: int, line: str = "") -> bool:
    """Whether a line has a furniture shape that is boilerplate on any site.

    ``key`` is the line's :func:`~retold.clean.lines.line_key`; ``line`` the raw line, for
    shapes that live in punctuation (menus).
    """
    if not 0 < n_words <= MAX_COPYRIGHT_WORDS:
        return False
    if n_words > MAX_GENERIC_WORDS:
        return bool(line) and _COPYRIGHT.match(line) is not None
    if _GENERIC.match(key) is not None:
        return True
    return bool(line) and (_GENERIC_RAW.match(line) is not None or is_menu(line))


@dataclass
class BoilerModel:
    """Line-key hashes learned as boilerplate: everywhere, and per source."""

    anywhere: set[int] = field(default_factory=set)
    by_source: dict[str, set[int]] = field(default_factory=dict)

    def is_boiler(self, key: int, source: str | None) -> bool:
        if key in self.anywhere:
            return True
        s = self.by_source.get(source) if source is not None else None
        return s is not None and key in s


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        p = self.parent
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def copy_clusters(doc_lines: Sequence[Sequence[tuple[int, int]]]) -> list[int]:
    """A cluster id per article; articles sharing enough long lines share an id."""
    n = len(doc_lines)
    long_keys = [{k for k, w in lines if w >= LONG_LINE_WORDS} for lines in doc_lines]
    docs_of: dict[int, list[int]] = defaultdict(list)
    for d, keys in enumerate(long_keys):
        for k in keys:
            docs_of[k].append(d)
    shared: Counter[tuple[int, int]] = Counter()
    for docs in docs_of.values():
        if len(docs) < 2:
            continue
        if len(docs) <= PAIR_DF_CAP:
            shared.update(combinations(docs, 2))
        else:  # docs are in ascending order, so (anchor, d) pairs are ordered like combinations
            shared.update((a, d) for i, d in enumerate(docs) for a in docs[: min(i, ANCHORS)])
    uf = _UnionFind(n)
    for (a, b), c in shared.items():
        m = min(len(long_keys[a]), len(long_keys[b]))
        if c >= min(2, m) and c >= COPY_SHARE * m:
            uf.union(a, b)
    return [uf.find(d) for d in range(n)]


def learn_boilerplate(
    doc_lines: Sequence[Sequence[tuple[int, int]]], sources: Sequence[str | None]
) -> BoilerModel:
    """Learn corpus boilerplate from every article's (line-key hash, word count) pairs."""
    df: Counter[int] = Counter()
    for lines in doc_lines:
        df.update({k for k, w in lines if w > 0})
    frequent = {k for k, c in df.items() if c >= 2}
    model = BoilerModel()
    if not frequent:
        return model
    clusters = copy_clusters(doc_lines)
    docs_of: dict[int, list[int]] = defaultdict(list)
    words: dict[int, int] = {}
    for d, lines in enumerate(doc_lines):
        for k, w in dict(lines).items():
            if k in frequent:
                docs_of[k].append(d)
                words[k] = w
    for k, docs in docs_of.items():
        n_clusters = len({clusters[d] for d in docs})
        if n_clusters >= MIN_CLUSTERS and words[k] <= MAX_BOILER_WORDS:
            model.anywhere.add(k)
            continue
        per_source: dict[str, set[int]] = defaultdict(set)
        for d in docs:
            if sources[d] is not None:
                per_source[sources[d]].add(clusters[d])  # type: ignore[index]
        for src, cl in per_source.items():
            if len(cl) >= 2:
                model.by_source.setdefault(src, set()).add(k)
    return model
