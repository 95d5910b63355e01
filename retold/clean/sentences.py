"""Sentence spans with blingfire, one line at a time.

blingfire joins lines that have no final stop (a headline and the paragraph under it)
into one sentence, so its sentence starts are only used *within* lines: every line is
at least its own sentence, and headlines, captions and bullet points stay separate.
blingfire runs once over the whole article (one call per line cost more than all the
rest of cleaning), and each line is cut at the sentence starts that fall inside it.

blingfire's own ``text_to_sentences_and_offsets`` maps byte offsets to character
offsets in a Python loop over every byte (about 3 ms per 3,000-character paragraph,
more than all the rest of cleaning); the same C function is called here directly and
the mapping done with numpy, falling back to the public function if that ever fails.

blingfire knows few of the sentence-final marks of other scripts, and none where no space
follows them, as Urdu newspapers often write their full stop (``جملہ ہے۔دوسرا``). Those marks
(``_SCRIPT_STOPS``: Urdu, Arabic, Devanagari and the other Indic scripts, Armenian, Ethiopic,
Myanmar, Khmer, Mongolian, full-width CJK stops) and the Greek question mark start a sentence
wherever they are, except between two digits. A start blingfire puts on the closing quote
after a CJK stop (``“好！”然后``) moves past it: the quote ends the sentence it closes.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from ctypes import byref, c_char_p, c_int, c_int32, create_string_buffer
from itertools import pairwise

import blingfire
import numpy as np

_INNER_STOP = re.compile(r"[.!?。！？؟।][^.!?。！？؟।]")

#: Sentence-final marks that need no space after them: Arabic-script full stop (Urdu) and
#: question mark, Devanagari danda and double danda (shared by the Indic scripts), Armenian
#: full stop, Ethiopic full stop, question mark and paragraph separator, Myanmar section,
#: Khmer khan and bariyoosan, Mongolian full stop, full-width and half-width full stops.
#: blingfire handles 。！？ itself.
_SCRIPT_STOPS = "\u06d4\u061f\u0964\u0965\u0589\u1362\u1367\u1368\u104b\u17d4\u17d5\u1803\uff0e\uff61"
#: Of those, the ones a number also uses (list numbers "１．"): no cut right after a digit.
_NUMBER_STOPS = frozenset("\uff0e\uff61")
#: What may close the sentence a stop ends: closing brackets, and a quote where a space
#: follows it (right-to-left text writes the curly quotes either way round, and a quote with
#: no space after it opens the next sentence: ہے۔"شطرنج).
_BRACKETS = ")]}\u300d\u300f\u3011\u3009\u300b\u3015\uff09\uff3d\uff5d"
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u2039\u203a\uff02\uff07"
_CLOSED = f"(?:[{re.escape(_BRACKETS)}]|[{_QUOTES}](?=\\s|$))*"
_STOP_AT = re.compile(f"([{_SCRIPT_STOPS}]+){_CLOSED}\\s*")
#: Greek writes its question mark as ";" (or U+037E): a sentence ends there when a capital follows.
_GREEK_QUESTION = re.compile(f"[;\u037e]{_CLOSED}\\s+(?=[\u0386\u0388-\u038f\u0391-\u03ab])")
#: blingfire starts a sentence after a CJK stop on the closing quote that follows it.
_CJK_STOPS = frozenset("\u3002\uff01\uff1f\uff0e\uff61")
_CJK_CLOSE = frozenset("\u201d\u2019\u300d\u300f\u3011\u3009\u300b\u3015\uff09\uff3d\uff5d\uff02\uff07")
#: Khmer "។ល។" is "etc.": its first khan ends no sentence.
_KHMER_ETC = "\u179b\u17d4"


def _starts(s: str) -> list[int] | None:
    """Character offsets where blingfire starts a sentence in ``s``; None on failure."""
    data = s.encode("utf-8")
    n = len(data)
    cap = 2 * n + 16
    out = create_string_buffer(cap)
    starts = (c_int32 * cap)()
    ends = (c_int32 * cap)()
    got = blingfire.blingfire.TextToSentencesWithOffsets(
        c_char_p(data), c_int(n), byref(out), byref(starts), byref(ends), c_int(cap)
    )
    if got == -1 or got > cap:
        return None
    k = out.value.count(b"\n") + 1
    st = np.frombuffer(memoryview(starts), dtype=np.int32, count=k)
    if st.size == 0 or st.min() < 0 or st.max() >= n:
        return None
    if n != len(s):  # not ASCII: byte index -> character index
        lead = (np.frombuffer(data, dtype=np.uint8) & 0xC0) != 0x80
        st = (np.cumsum(lead) - 1)[st]
    return st.tolist()


def _fallback_starts(s: str) -> list[int]:
    try:
        _, offsets = blingfire.text_to_sentences_and_offsets(s)
    except AssertionError:  # blingfire's own offset mapping fails on some inputs
        return []
    return [a for a, _ in offsets]


def _script_starts(text: str) -> list[int]:
    """Sentence starts after the marks of ``_SCRIPT_STOPS`` and Greek question marks."""
    out: list[int] = []
    n = len(text)
    for m in _STOP_AT.finditer(text):
        a, z, e = m.start(), m.end(1), m.end()
        if e >= n:
            continue
        after_digit = a > 0 and text[a - 1].isdigit()
        if after_digit and (text[z].isdigit() or text[a] in _NUMBER_STOPS):
            continue  # a decimal or a date written with the mark (24۔3), a list number (１．)
        if text.startswith(_KHMER_ETC, z):
            continue
        out.append(e)
    if ";" in text or "\u037e" in text:
        out += [m.end() for m in _GREEK_QUESTION.finditer(text) if m.end() < n]
    return out


def _past_closers(text: str, s: int) -> int:
    """A start on a closing quote right after a stop, moved past the quote and the space after it."""
    if s <= 0 or text[s] not in _CJK_CLOSE or text[s - 1] not in _CJK_STOPS:
        return s
    n = len(text)
    while s < n and text[s] in _CJK_CLOSE:
        s += 1
    while s < n and text[s].isspace():
        s += 1
    return s


def sentence_spans(text: str, lines: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """For each (whitespace-stripped) line of ``text``, the [start, end) of its sentences."""
    if not lines:
        return []
    starts: list[int] = []
    if _INNER_STOP.search(text) is not None:
        try:
            got = _starts(text)
        except (AttributeError, OSError, ValueError):
            got = None
        starts = got if got is not None else _fallback_starts(text)
        starts = [_past_closers(text, s) for s in starts]
    more = _script_starts(text)
    if more:
        starts = sorted(set(starts).union(more))
    out: list[list[tuple[int, int]]] = []
    for a, b in lines:
        i = bisect_right(starts, a)
        if i >= len(starts) or starts[i] >= b:
            out.append([(a, b)])
            continue
        cuts = [a]
        while i < len(starts) and starts[i] < b:
            cuts.append(starts[i])
            i += 1
        cuts.append(b)
        spans = []
        for x, y in pairwise(cuts):
            seg = text[x:y]
            stripped = seg.strip()
            x += len(seg) - len(seg.lstrip())
            y = x + len(stripped)
            if y > x:
                spans.append((x, y))
        out.append(spans)
    return out
