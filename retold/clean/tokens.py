"""Word tokens with character spans and stable 64-bit hashes.

One tokeniser serves every lexical stage (shingles, MinHash, verbatim passages), so
offsets found by any of them point into the original text.

The rule: a token is a run of word characters (``\\w``) and combining marks (so
Devanagari or decomposed accents do not split words), which may contain zero-width
joiners and soft hyphens: copy-paste and CMS software insert those invisibly, and a copy
must still match. ``_WORD`` states the rule as a regex and is the reference
(:func:`tokenize_reference`).

The hash of a token is a function of the code points of its normalised form
(:func:`normalise_token`) only: a polynomial hash ``sum c_t * M**(L-1-t) mod 2**64``
plus a length term, through a 64-bit mixer. It is stable across processes and
machines, which the on-disk index needs.

Why not a regex and a hash call per token (as before): that cost ~0.7 ms per article,
more than signing it. Here the text's code points (UTF-32, so spans are character
offsets with no byte bookkeeping) go through a lookup table of word characters, token
boundaries come from the mask's edges, and the polynomial of every token is one
``cumsum`` over all word characters: the powers of ``M`` are split as
``M**(L-1) * sum c_t * M**-t`` (``M`` odd, hence invertible mod 2**64). Characters
are normalised one by one through a fold table (:func:`_fold_table`: lower case,
compatibility forms, Latin/Greek/Cyrillic diacritics); a token holding a character the
table cannot fold alone (combining marks, ``ß``, jamo, invisible joiners, astral
planes) goes through :func:`normalise_token` in Python, memoised per spelling.
Measured on the 9,235 benchmark texts (many scripts): 0.03 ms per text with
:func:`tokenize_many`, against 0.54 ms for the regex reference; identical output.

Note: these hashes differ from the xxh3 hashes of earlier versions; an index written
with those must be rebuilt.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import numpy as np


def _mark_class() -> str:
    """Character-class body for the combining marks of the BMP (``\\w`` leaves them out)."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


#: Character-class body of the combining marks: the vowel signs of Devanagari, Bengali, Thai
#: and other abugidas are marks, and a word split at each of them is no word (``sign/names.py``
#: reads words with it too).
MARKS = _mark_class()
#: Invisible characters that may sit inside a word and are dropped by normalisation.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_WCHARS = f"[\\w{MARKS}]"
_WORD = re.compile(f"{_WCHARS}+(?:[{_INVISIBLE}]+{_WCHARS}+)*", re.UNICODE)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_DIACRITIC = re.compile("[\u0300-\u036f]")  # combining marks of Latin, Greek, Cyrillic only

_CACHE: dict[str, int] = {}  # normalised token -> hash
_RAW_CACHE: dict[str, int] = {}  # token as written -> hash of its normalised form
_CACHE_MAX = 2_000_000

_MASK = (1 << 64) - 1
_MUL = 0x9E3779B97F4A7C15  # odd, so invertible mod 2**64
_MUL_INV = pow(_MUL, -1, 1 << 64)
_LEN = 0xD6E8FEB86659FD93  # weight of the length term: "a" and "\x00a" differ
_MIX1 = 0xBF58476D1CE4E5B9  # splitmix64 finaliser constants
_MIX2 = 0x94D049BB133111EB
_N_CP = 0x110000


def _mix_int(x: int) -> int:
    x ^= x >> 30
    x = (x * _MIX1) & _MASK
    x ^= x >> 27
    x = (x * _MIX2) & _MASK
    return x ^ (x >> 31)


def _mix_np(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x *= np.uint64(_MIX1)
        x ^= x >> np.uint64(27)
        x *= np.uint64(_MIX2)
        x ^= x >> np.uint64(31)
    return x


def token_hash(token: str) -> int:
    """Stable hash of one already-normalised token (the same as :func:`tokenize` gives)."""
    h = _CACHE.get(token)
    if h is None:
        acc = 0
        for ch in token:
            acc = (acc * _MUL + ord(ch)) & _MASK
        h = _mix_int((acc + len(token) * _LEN) & _MASK)
        if len(_CACHE) < _CACHE_MAX:
            _CACHE[token] = h
    return h


def normalise_token(token: str) -> str:
    """Fold what copy-editing and encodings change but a reader does not see.

    NFKC folds compatibility forms (full-width letters, ligatures), casefold folds case
    ("Straße" = "STRASSE"), and the Latin/Greek/Cyrillic diacritics are dropped because
    copies often lose or gain them ("Zelenskyy"/"Zelénskyy", "cafe"/"café"). Marks of
    other scripts are kept: there they are letters, not decoration.
    """
    if token.isascii():
        return token.lower()
    t = _INVISIBLE_RE.sub("", token)
    t = unicodedata.normalize("NFKC", t).casefold()
    if not t.isascii():
        d = unicodedata.normalize("NFD", t)
        stripped = _DIACRITIC.sub("", d)
        if stripped != d:
            t = unicodedata.normalize("NFC", stripped)
    return t


def _raw_hash(tok: str) -> int:
    h = token_hash(normalise_token(tok))
    if len(_RAW_CACHE) < _CACHE_MAX:
        _RAW_CACHE[sys.intern(tok) if len(tok) < 40 else tok] = h
    return h


_TABLES: dict[str, np.ndarray] = {}  # pure memo: lookup tables and power tables


def _word_table() -> np.ndarray:
    """(0x110000,) bool: code points the ``_WCHARS`` class matches, built from the regex
    itself so the vectorised rule cannot drift from the reference."""
    t = _TABLES.get("word")
    if t is None:
        every = "".join(map(chr, range(_N_CP)))
        t = np.zeros(_N_CP, dtype=bool)
        for m in re.finditer(f"{_WCHARS}+", every):
            t[m.start() : m.end()] = True
        inv = np.zeros(_N_CP, dtype=bool)
        inv[[ord(c) for c in _INVISIBLE]] = True
        _TABLES["word"], _TABLES["invisible"] = t, inv
    return t


def char_table(name: str) -> np.ndarray:
    """(0x110000,) bool over all code points: ``"upper"`` (``str.isupper``) or ``"digit"`` (``\\d``).

    Why here: signing needs "starts with a capital" and "contains a digit" per token, and
    one table lookup over the code points (:func:`code_points`) costs far less than a
    regex pass per text. Built once per process (a fraction of a second), then memoised.
    """
    t = _TABLES.get(name)
    if t is None:
        every = "".join(map(chr, range(_N_CP)))
        if name == "upper":
            t = np.fromiter(map(str.isupper, every), dtype=bool, count=_N_CP)
        elif name == "digit":
            t = np.zeros(_N_CP, dtype=bool)
            for m in re.finditer(r"\d+", every):
                t[m.start() : m.end()] = True
        else:
            raise ValueError(f"unknown character class {name!r} (expected 'upper' or 'digit')")
        _TABLES[name] = t
    return t


def char_flags(text: str, name: str) -> np.ndarray:
    """(len(text),) bool per character of ``text`` for the class ``name`` (see :func:`char_table`)."""
    return char_table(name)[code_points(text)]


def code_points(text: str) -> np.ndarray:
    """(len(text),) uint32 code points: index i is ``text[i]``, so offsets stay character offsets."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``M**k`` and ``M**-k`` mod 2**64 for k < n (at least), grown on demand."""
    have = _TABLES.get("pow")
    if have is None or have.shape[0] < n:
        size = max(n, 64, 2 * (have.shape[0] if have is not None else 0))
        with np.errstate(over="ignore"):
            pw = np.full(size, _MUL, dtype=np.uint64)
            pw[0] = 1
            pw = np.cumprod(pw, dtype=np.uint64)
            iv = np.full(size, _MUL_INV, dtype=np.uint64)
            iv[0] = 1
            iv = np.cumprod(iv, dtype=np.uint64)
        _TABLES["pow"], _TABLES["inv"] = pw, iv
    return _TABLES["pow"], _TABLES["inv"]


def _fold_table() -> np.ndarray:
    """(0x110000,) uint32: the code point a character normalises to on its own, or 0 when
    the vectorised path must not fold it (the token then goes through
    :func:`normalise_token`).

    Folding a token character by character equals :func:`normalise_token` of the whole
    token when each character folds to exactly one character and none can compose with
    a neighbour: combining marks (ccc != 0 or categories M*), Hangul jamo, characters
    that fold to nothing or to several (``ß`` -> ``ss``), and everything above the BMP
    are left to the slow path. ``tests/test_tokens.py`` checks the equality on every
    real text of the benchmark data.
    """
    t = _TABLES.get("fold")
    if t is None:
        t = np.zeros(_N_CP, dtype=np.uint32)
        t[:128] = np.frombuffer("".join(chr(c) for c in range(128)).lower().encode("utf-32-le"), dtype=np.uint32)
        for cp in range(128, 0x10000):
            if 0xD800 <= cp <= 0xDFFF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F or 0xA960 <= cp <= 0xA97F or 0xD7B0 <= cp <= 0xD7FF:
                continue
            c = chr(cp)
            if unicodedata.combining(c) or unicodedata.category(c)[0] == "M" or c in _INVISIBLE:
                continue
            f = normalise_token(c)
            if len(f) == 1 and not unicodedata.combining(f) and unicodedata.category(f)[0] != "M":
                t[cp] = ord(f)
        _TABLES["fold"] = t
    return t


#: Above this many word characters in one scan, power tables by text position would be
#: too big (16 bytes each); positions inside each token are used instead.
_GLOBAL_POWERS_MAX = 1 << 22


_code_points = code_points


def _scan(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hashes, starts, ends) of the tokens of ``text``, offsets into ``text``.

    Written for few numpy calls: at news-article size their fixed cost, not the work
    per character, is what a scan costs.
    """
    cp = _code_points(text)
    n = cp.shape[0]
    pad = np.zeros(n + 2, dtype=bool)
    w = pad[1 : n + 1]
    np.take(_word_table(), cp, out=w)
    ascii_text = text.isascii()
    if not ascii_text and _INVISIBLE_RE.search(text) is not None:
        _join_invisible(w, _TABLES["invisible"][cp])
    edges = np.flatnonzero(pad[1:] != pad[:-1])
    starts, ends = edges[0::2], edges[1::2]
    if starts.shape[0] == 0:
        return np.zeros(0, dtype=np.uint64), starts, ends
    lens = ends - starts
    # characters folded one by one (lower case, compatibility forms, Latin diacritics);
    # tokens holding a character the table cannot fold (0) are redone below
    c = _fold_table()[cp[w]]
    total = c.shape[0]
    tok_end = np.cumsum(lens)
    tok_start = tok_end - lens
    with np.errstate(over="ignore"):
        g = np.empty(total + 1, dtype=np.uint64)
        g[0] = 0
        if total <= _GLOBAL_POWERS_MAX:
            # sum_{j in tok} c_j M**(e-1-j) = M**(e-1) * sum_{j in tok} c_j M**-j
            pw, iv = _powers(total + 1)
            np.cumsum(c * iv[:total], out=g[1:])  # uint32 * uint64 -> uint64
            raw = (g[tok_end] - g[tok_start]) * pw[tok_end - 1]
        else:  # huge text: powers by position inside the token keep the tables small
            pw, iv = _powers(int(lens.max()) + 1)
            ramp = np.arange(total, dtype=np.int64) - np.repeat(tok_start, lens)
            np.cumsum(c * iv[ramp], out=g[1:])
            raw = (g[tok_end] - g[tok_start]) * pw[lens - 1]
        raw += lens.astype(np.uint64) * np.uint64(_LEN)
    h = _mix_np(raw)
    if not ascii_text:
        na = np.empty(total + 1, dtype=np.int64)
        na[0] = 0
        np.cumsum(c == 0, out=na[1:])
        odd = np.flatnonzero(na[tok_end] != na[tok_start])
        if odd.shape[0]:
            get = _RAW_CACHE.get
            vals = []
            for a, b in zip(starts[odd].tolist(), ends[odd].tolist()):
                tok = text[a:b]
                v = get(tok)
                vals.append(v if v is not None else _raw_hash(tok))
            h[odd] = np.array(vals, dtype=np.uint64)
    return h, starts, ends


def _join_invisible(w: np.ndarray, inv: np.ndarray) -> None:
    """Mark runs of invisible characters that sit between word characters as word (in place)."""
    edge = np.diff(inv.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    n = w.shape[0]
    for a, b in zip(np.flatnonzero(edge == 1).tolist(), np.flatnonzero(edge == -1).tolist()):
        if a > 0 and b < n and w[a - 1] and w[b]:
            w[a:b] = True


def tokenize(text: str, start: int = 0, end: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tokens of ``text[start:end]``: (hashes uint64 (T,), spans int32 (T, 2)).

    Spans are character offsets into ``text`` itself, not into the slice.
    """
    if end is None:
        end = len(text)
    whole = start == 0 and end == len(text)
    h, s, e = _scan(text if whole else text[start:end])
    spans = np.empty((h.shape[0], 2), dtype=np.int32)
    spans[:, 0] = s + start
    spans[:, 1] = e + start
    return h, spans


def tokenize_many(texts: list[str], chunk_chars: int = 1 << 18) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`tokenize` of many texts, scanned together in chunks of about ``chunk_chars``.

    Why: per call, the scan is ~15 small numpy operations whose fixed cost dominates
    for a news article; joining texts with a newline (never part of a token, and never
    joined across by an invisible character) pays it once per chunk.
    """
    out: list[tuple[np.ndarray, np.ndarray]] = []
    i = 0
    while i < len(texts):
        j, size = i, 0
        while j < len(texts) and (j == i or size + len(texts[j]) + 1 <= chunk_chars):
            size += len(texts[j]) + 1
            j += 1
        part = texts[i:j]
        h, s, e = _scan("\n".join(part))
        lens = np.fromiter(map(len, part), dtype=np.int64, count=len(part))
        offs = np.concatenate([[0], np.cumsum(lens + 1)])
        cut = np.searchsorted(s, offs).tolist()
        # spans of the whole chunk made relative to their own text in one go; each
        # text gets views (no copy per text)
        base = np.repeat(offs[:-1], np.diff(cut))
        spans = np.empty((h.shape[0], 2), dtype=np.int32)
        np.subtract(s, base, out=spans[:, 0], casting="unsafe")
        np.subtract(e, base, out=spans[:, 1], casting="unsafe")
        for k in range(len(part)):
            a, b = cut[k], cut[k + 1]
            out.append((h[a:b], spans[a:b]))
        i = j
    return out


def tokenize_hashes(text: str) -> np.ndarray:
    """Token hashes only; the same hashes as :func:`tokenize`."""
    return _scan(text)[0]


def tokenize_reference(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """The rule in plain Python (regex, one hash per token): what the vectorised scan
    must reproduce exactly. For tests and for reading; slow."""
    hashes, spans = [], []
    for m in _WORD.finditer(text):
        hashes.append(token_hash(normalise_token(m.group())))
        spans.append(m.span())
    return hashes, spans
