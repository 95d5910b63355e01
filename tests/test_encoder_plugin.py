"""A local sentence-transformers model plugged in by path, instead of the bundled USE.

sentence-transformers (and torch) are not installed by retold, so this skips where they
are absent, as in CI. Where they are, it builds a tiny random model in a temporary folder
(nothing is downloaded), loads it the way a user would (``retold scan --encoder PATH``),
and runs a scan and an index with it. Random weights say nothing about meaning: the test
checks the plumbing (vectors of the right shape, unit length, stored in the index, the
index refusing to mix vector spaces), not the quality of a model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")


def _tiny_model(folder: Path) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(0)
    words = "the a of to in and on at mayor city council fire water rain storm street police said new old".split()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *(f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"), *"abcdefghijklmnopqrstuvwxyz"]
    hf = folder / "hf"
    hf.mkdir(parents=True)
    (hf / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(hf / "vocab.txt")).save_pretrained(hf)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    BertModel(cfg).save_pretrained(hf)
    word = models.Transformer(str(hf), max_seq_length=64)
    dim = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
    model = SentenceTransformer(modules=[word, models.Pooling(dim(), pooling_mode="mean")])
    out = folder / "tiny-st"
    model.save(str(out))
    return out


def test_a_local_model_by_path_runs_a_scan_and_keeps_its_vectors_in_the_index(tmp_path):
    import retold
    from retold.cli.scan import sample_dir
    from retold.config import Settings
    from retold.index import Index, IndexSettingsError
    from retold.sign import load_encoder

    path = _tiny_model(tmp_path)
    enc = load_encoder(f"{path}@cpu", Settings())
    assert enc.name == f"st:{path}" and enc.dim == 32
    v = enc.encode(["The mayor said the street was under water.", "Rain and storm in the city."])
    assert v.shape == (2, 32) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert np.allclose(enc.encode(["The mayor said the street was under water."])[0], v[0], atol=1e-5)

    idx = tmp_path / "x.idx"
    res = retold.scan([sample_dir()], encoder=enc, index=idx)
    assert any(p.relation == "duplicate" for p in res.pairs), "copies do not depend on the model"
    encoded = [d for d in res.docs.values() if d.vec is not None]
    assert encoded and all(d.vec.shape == (32,) for d in encoded)
    stored = Index.open(idx).load_docs()
    assert any(d.vec is not None and d.vec.shape == (32,) for d in stored), "vectors kept: never encoded twice"
    with pytest.raises(IndexSettingsError, match="encoder"):
        retold.scan([sample_dir()], index=idx)  # the default USE: another vector space
