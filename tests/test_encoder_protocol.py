"""Any object with ``name``, ``dim``, ``languages`` and ``encode`` plugs in as the encoder,
and an index keeps to the encoder it was built with (two models' vectors do not compare)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import retold
from retold.cli.scan import sample_dir
from retold.index import Index, IndexSettingsError


class HashingEncoder:
    """Bag of hashed words, projected at random: crude, deterministic, no model file."""

    name = "test:hashing-64"
    dim = 64
    languages = None

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(n > 0, n, 1.0)


def test_a_plugged_encoder_fills_the_vectors_and_the_index_remembers_it(tmp_path):
    idx = tmp_path / "x.idx"
    res = retold.scan([sample_dir()], encoder=HashingEncoder(), index=idx)
    assert all(d.vec is None or d.vec.shape == (64,) for d in res.docs.values())
    assert any(d.vec is not None for d in res.docs.values())
    assert Index.open(idx).encoder_name == "test:hashing-64"
    with pytest.raises(IndexSettingsError, match="encoder"):
        retold.scan([sample_dir()], index=idx)  # the default encoder: another vector space
    # the same encoder again: fine (every article is already indexed, so nothing is new)
    again = retold.scan([sample_dir()], encoder=HashingEncoder(), index=idx)
    assert again.stats["articles_new"] == 0
