"""retold: find where news was copied, rewritten, translated or independently retold.

The library comes first; the ``retold`` command, the report and the benchmarks are thin
layers on it::

    import retold
    result = retold.scan(["articles.jsonl"])          # pairs, families, stories
    pair = retold.compare(text_a, text_b)             # one pair, with its evidence
"""

from retold.config import Settings
from retold.model import RELATIONS, Article, Doc, Group, Pair, Passage, Problem, ScanResult
from retold.pipeline import compare, scan
from retold.pipeline import dedup

__version__ = "0.1.0"

__all__ = [
    "scan",
    "compare",
    "dedup",
    "Settings",
    "Article",
    "Doc",
    "Pair",
    "Passage",
    "Group",
    "Problem",
    "ScanResult",
    "RELATIONS",
    "__version__",
]
