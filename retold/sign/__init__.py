"""sign: what each article is reduced to for fast matching (hashes, MinHash, vectors)."""

from retold.sign.embed import (
    Encoder,
    EncoderLoadError,
    SentenceTransformerEncoder,
    USEEncoder,
    default_encoder,
    embed_docs,
)
from retold.sign.embed import load_encoder as _load_encoder
from retold.sign.lexical import sign_lexical


def load_encoder(spec, settings=None):  # noqa: ANN001, ANN201 - as retold.sign.embed.load_encoder
    """``retold.sign.embed.load_encoder``, and ``static`` for the static E5 encoder (retold/sign/static.py)."""
    if spec is not None and spec.partition("@")[0] == "static":
        from retold.sign.static import static_encoder

        try:
            return static_encoder(None, settings.threads if settings else 0)
        except (OSError, ValueError, ImportError) as e:
            raise EncoderLoadError(f"encoder {spec!r}: {e}") from e
    return _load_encoder(spec, settings)


__all__ = [
    "Encoder",
    "EncoderLoadError",
    "USEEncoder",
    "SentenceTransformerEncoder",
    "default_encoder",
    "load_encoder",
    "embed_docs",
    "sign_lexical",
]
