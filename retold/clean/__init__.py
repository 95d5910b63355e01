"""clean: articles made ready for matching (``prepare.prepare``): tokens, sentences, quotes,
boilerplate learned from the corpus, language."""

from retold.clean.prepare import (  # noqa: F401
    Scanned,
    prepare,
    prepare_one,
    scan_article,
)

__all__ = ["Scanned", "prepare", "prepare_one", "scan_article"]
