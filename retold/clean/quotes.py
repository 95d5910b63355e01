"""Where quotations are, so that a shared quotation is not mistaken for copying.

Two independent reports of one event quote the same person word for word; that is
evidence of the same story, not of reuse. Quote marks are read with their context: an
opening mark follows a space or the line start and precedes a non-space; a closing
mark follows a non-space (guillemets may have spaces inside, as French sets them). An apostrophe between letters (don’t, Zelensky’s) is neither,
and a closing-looking ’ with no open ‘ (the soldiers’ guns) is ignored. A quotation
left open at the end of a paragraph runs to its end, as in multi-paragraph quotes
where only the last paragraph closes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_QUOTE = re.compile("[\"'“”„‟«»‹›‘’‚‛「」『』]")
#: Opening mark -> the marks that may close it (German „...“, Swedish ”...”, »...«).
_CLOSERS: dict[str, str] = {
    "“": "”“",
    "„": "“”",
    "‟": "”",
    '"': '"”“',
    "«": "»",
    "»": "«»",
    "‹": "›",
    "›": "‹",
    "‘": "’‘",
    "‚": "‘’",
    "‛": "’",
    "'": "'’",
    "「": "」",
    "『": "』",
    "”": "”",
}
_OPEN_BEFORE = frozenset(" \t([{—–-/:;,\u00a0")
_GUILLEMETS = frozenset("«»‹›")  # French sets them off with spaces: « comme ceci »


def quoted_ranges(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, end) of each quotation in ``text``, searched within each of ``spans`` (paragraphs)."""
    out: list[tuple[int, int]] = []
    n = len(text)
    for a, b in spans:
        opened: str | None = None
        start = 0
        for m in _QUOTE.finditer(text, a, b):
            i = m.start()
            c = text[i]
            prev = text[i - 1] if i > a else " "
            nxt = text[i + 1] if i + 1 < b else " "
            if prev.isalnum() and nxt.isalnum():
                continue  # apostrophe inside a word
            spaced = c in _GUILLEMETS
            if opened is not None:
                if c in _CLOSERS[opened] and (spaced or not prev.isspace()):
                    out.append((start, i + 1))
                    opened = None
                continue
            if c in _CLOSERS and (spaced or not nxt.isspace()) and (i == a or prev in _OPEN_BEFORE or _QUOTE.match(prev)):
                opened, start = c, i
        if opened is not None and opened not in "'’":
            out.append((start, min(b, n)))
    return out
