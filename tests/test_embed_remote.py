"""Embedding on a remote engine's workers (sign/embed.py): the sentence batches go out with the
encoder's spec and come back as the vectors the batches give here."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from retold.clean import prepare
from retold.config import Settings
from retold.model import Article
from retold.sign import default_encoder, embed_docs
from retold.sign.embed import USEEncoder, encoder_spec, worker_encoder

TEXTS = [
    "Officials in Kaikoura said on Monday that 1,200 homes lost power. The storm moved east overnight.",
    "Der Bürgermeister von Linz eröffnete am Dienstag die neue Brücke über die Donau. Tausende kamen.",
    "Presidentti Niinistö tapasi Obaman Helsingissä keskiviikkona. He keskustelivat kaupasta.",
    "The Warriors beat the Celtics 101-99 in Boston on Sunday night. Curry scored 40 points.",
]


class PicklingEngine:
    """Stands in for a cluster: every job crosses a pickle boundary, as it does to a Ray worker."""

    remote = True

    def __init__(self) -> None:
        self.jobs = 0

    def map(self, fn: Callable, items: Sequence, *, progress=None, label: str = "") -> Iterator:  # noqa: ANN001
        for item in items:
            self.jobs += 1
            f, job = pickle.loads(pickle.dumps((fn, item)))
            yield pickle.loads(pickle.dumps(f(job)))


def _docs():
    arts = [Article(id=str(i), text=TEXTS[i % len(TEXTS)] + f" Item {i} of the list.") for i in range(24)]
    return prepare(arts, Settings())


def test_batches_encoded_on_workers_give_the_local_vectors():
    s = Settings(batch_size=16)
    here, there = _docs(), _docs()
    assert embed_docs(here, default_encoder(s), s) == 0
    engine = PicklingEngine()
    sent = embed_docs(there, default_encoder(s), s, engine=engine)
    assert sent == engine.jobs and sent >= 2  # several batches went out
    for a, b in zip(here, there):
        assert (a.sent_vecs is None) == (b.sent_vecs is None), a.id  # Finnish is not the encoder's
        if a.sent_vecs is not None:
            assert np.array_equal(a.sent_vecs, b.sent_vecs) and np.array_equal(a.vec, b.vec)
    assert any(d.sent_vecs is None for d in here) and any(d.sent_vecs is not None for d in here)


def test_an_encoder_without_a_spec_encodes_here():
    class Plugged:  # a user's own encoder object: only this process has it
        dim = 8
        languages = None

        def encode(self, texts):  # noqa: ANN001, ANN202
            return np.ones((len(texts), 8), dtype=np.float32)

    engine = PicklingEngine()
    docs = _docs()
    assert encoder_spec(Plugged()) == ""
    assert embed_docs(docs, Plugged(), Settings(), engine=engine) == 0 and engine.jobs == 0
    assert all(d.sent_vecs is not None and d.sent_vecs.shape[1] == 8 for d in docs)


def test_a_worker_builds_the_encoder_of_a_spec_once():
    s = Settings()
    assert worker_encoder("use", s) is worker_encoder(None, s)
    assert encoder_spec(None) is None and USEEncoder.spec == "use"
