"""compare: the evidence for one candidate pair (``evidence.compare_docs``): aligned passages and
the numbers that decide. Verbatim runs in ``verbatim.py``, sentence alignment in ``align.py`` (by
vectors) and ``anchors.py`` (by names), the second model's comparisons in ``verify.py``."""

from retold.clean.lang import same_language, written_language  # noqa: F401 - where the flow reads them
from retold.compare.evidence import (  # noqa: F401
    EXACT_JACCARD_COVERAGE,
    Evidence,
    compare_docs,
    content_length,
    coverage,
    leads_match,
    names_cannot_align,
    needs_second_opinion,
    quote_share,
    second_opinion,
    sentence_words,
    shared_words,
    union_length,
)

__all__ = ["Evidence", "compare_docs", "content_length", "coverage", "needs_second_opinion", "second_opinion"]
