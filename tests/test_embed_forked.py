"""Embedding in forked workers (sign/embed.py): on a local engine with several processes, a CPU
encoder's batches are shared among workers of one BLAS thread each, and the vectors are the ones
this process gives alone: the very floats where the machine's BLAS gives one call's floats whatever
its thread count, else the same to float32 rounding."""

from __future__ import annotations

import numpy as np

from retold.clean import prepare
from retold.config import Settings
from retold.engines import LocalEngine
from retold.model import Article
from retold.sign import default_encoder, embed_docs
from retold.sign import embed as embed_mod

WORDS = (
    "council storm bridge harbour minister election river power court budget school hospital "
    "flood railway museum festival strike market vaccine drought"
).split()


def _docs(n: int = 40):
    arts = []
    for i in range(n):  # distinct sentences, so each doc has its own vectors
        a, b, c = WORDS[i % 20], WORDS[(3 * i + 1) % 20], WORDS[(7 * i + 2) % 20]
        arts.append(
            Article(
                id=f"d{i}",
                text=f"The {a} officials met on day {i} to discuss the {b}. "
                f"Residents of district {i} said the {c} had changed their lives. "
                f"A report on the {b} and the {a} is due in {i + 2} weeks.",
            )
        )
    return prepare(arts, Settings())


def _blas_threads_agree(enc, texts: list[str], share: int) -> bool:
    """Whether this machine's BLAS gives the same floats for one batch at the encoder's own
    thread count and at a worker's ``share``.

    On some (an AMD EPYC with OpenBLAS 0.3.31's Haswell kernels) it does not: a few vector
    components differ in the last float32 bit, and then in float16, one step of it."""
    threads = enc._model.threads
    try:
        own = enc.encode(texts)
        enc.set_threads(share)
        shared = enc.encode(texts)
    finally:
        enc.set_threads(threads)
    return bool(np.array_equal(own, shared))


def test_forked_batches_give_the_vectors_of_one_process(monkeypatch):
    s = Settings(batch_size=16, parallel_min_items=20)
    here, there = _docs(), _docs()
    enc = default_encoder(s)
    threads = enc._model.threads
    embed_docs(here, enc, s, engine=LocalEngine(processes=1))

    seen: list[int] = []
    real = embed_mod._encode_forked

    def spy(*args, **kw):
        for v in real(*args, **kw):
            seen.append(len(v))
            yield v

    monkeypatch.setattr(embed_mod, "_encode_forked", spy)
    workers = LocalEngine(processes=2, threads=2)
    embed_docs(there, enc, s, engine=workers)
    assert len(seen) >= 4  # the batches went through the workers
    exact = _blas_threads_agree(enc, [here[0].sentence(0), here[1].sentence(1)] * 8, workers.worker_threads)
    for a, b in zip(here, there):
        assert a.sent_vecs is not None and b.sent_vecs is not None
        if exact:
            assert np.array_equal(a.sent_vecs, b.sent_vecs), a.id
            assert np.array_equal(a.vec, b.vec), a.id
        else:  # the floats of one BLAS call hang on its threads here: float32 rounding apart, no more
            assert np.abs(a.sent_vecs.astype(np.float32) - b.sent_vecs.astype(np.float32)).max() <= 2e-3, a.id
            assert float(np.dot(a.vec, b.vec)) >= 1 - 1e-6, a.id
    # the parent's encoder keeps its own thread count: only the workers took one thread each
    assert enc._model.threads == threads


def test_small_batches_and_single_process_engines_encode_here():
    s = Settings()
    enc = default_encoder(s)
    assert not embed_mod._forks(enc, LocalEngine(processes=1), 10**6, s)
    assert not embed_mod._forks(enc, LocalEngine(processes=2), s.parallel_min_items - 1, s)
    assert embed_mod._forks(enc, LocalEngine(processes=2), s.parallel_min_items, s)

    class Plugged:  # a user's encoder object that says nothing of forking: encoded here
        name, dim, languages = "plugged", 4, None

        def encode(self, texts):
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    assert not embed_mod._forks(Plugged(), LocalEngine(processes=2), 10**6, s)
