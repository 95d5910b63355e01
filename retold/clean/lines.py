"""Lines of an article: the unit boilerplate lives in.

Site furniture (footers, "Read more" links, photo captions) comes as whole lines, so
boilerplate is decided per line. Lines are compared by their tokens (see
``retold.clean.scan_article``), so the same footer matches whatever a CMS did to its
quotes; :func:`line_key` gives short lines a text form for the furniture patterns.
"""

from __future__ import annotations

import re

import xxhash

_LINE = re.compile(r"[^\n]+")
_NON_WORD = re.compile(r"[\W_]+")
_hash = xxhash.xxh3_64_intdigest


def line_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of every non-blank line, surrounding whitespace excluded."""
    out: list[tuple[int, int]] = []
    for m in _LINE.finditer(text):
        s = m.group()
        stripped = s.strip()
        if not stripped:
            continue
        a = m.start() + (len(s) - len(s.lstrip()))
        out.append((a, a + len(stripped)))
    return out


def line_key(line: str) -> str:
    """Casefolded words of a line joined by single spaces; empty for a line without words."""
    return _NON_WORD.sub(" ", line.casefold()).strip()


def key_hash_bytes(data: bytes) -> int:
    """Stable 64-bit hash of a line given as bytes (its token hashes)."""
    return _hash(data)
