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
"""

from __future__ import annotations

import re
from bisect import bisect_right
from ctypes import byref, c_char_p, c_int, c_int32, create_string_buffer
from itertools import pairwise

import blingfire
import numpy as np

_INNER_STOP = re.compile(r"[.!?。！？؟।][^.!?。！？؟।]")


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
