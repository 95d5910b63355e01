"""sign: what each article is reduced to for fast matching (hashes, MinHash, vectors)."""

from retold.sign.embed import (
    Encoder,
    EncoderLoadError,
    SentenceTransformerEncoder,
    USEEncoder,
    default_encoder,
    embed_docs,
    load_encoder,
)
from retold.sign.lexical import sign_lexical

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
