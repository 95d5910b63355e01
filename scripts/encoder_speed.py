"""The default encoder's speed on a GPU (the PyTorch port) against the numpy one, and their agreement.

Encodes every sentence of the speed bench's real texts on CUDA, and the first 20,000 with the
numpy encoder on 16 threads; prints sentences/s of both and the worst cosine between them.
Run on the GPU machine: ``python3 scripts/encoder_speed.py ../shared/data`` (docs/benchmarks.md).
"""
import json
import sys
import time
from pathlib import Path

import blingfire
import numpy as np
import torch

from retold.bench.corpora_speed import load_base_texts
from retold.sign.embed import USEEncoder
from retold.sign.use_torch import TorchUSEEncoder

base = load_base_texts(Path(sys.argv[1]))
sents = []
for b in base:
    sents += [s for s in blingfire.text_to_sentences(b.text).split("\n") if s.strip()]
print("sentences", len(sents), flush=True)
g = TorchUSEEncoder("cuda")
g.encode(sents[:100])
torch.cuda.synchronize()
t = time.perf_counter()
vg = g.encode(sents)
torch.cuda.synchronize()
tg = time.perf_counter() - t
c = USEEncoder(threads=16)
c.encode(sents[:100])
sub = sents[:20000]
t = time.perf_counter()
vc = c.encode(sub)
tc = time.perf_counter() - t
cos = np.einsum("ij,ij->i", vc, vg[: len(sub)])
r = {"sentences": len(sents), "gpu_s": tg, "gpu_sents_per_s": len(sents) / tg, "cpu16_sents": len(sub), "cpu16_s": tc,
     "cpu16_sents_per_s": len(sub) / tc, "cos_min": float(cos.min()), "cos_mean": float(cos.mean()),
     "gpu": torch.cuda.get_device_name(0), "torch": torch.__version__}
print(json.dumps(r), flush=True)
