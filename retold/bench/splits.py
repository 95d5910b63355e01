"""The one rule that keeps tuning and evaluation apart.

Every labelled unit (an ECB+ topic, a WMT document, an STS-B/MRPC file split) is put in
``tune`` or ``eval`` by a stable hash of its key. Calibration reads only ``tune``;
``retold bench quality`` reports on ``eval`` (and says so).
"""

from __future__ import annotations

from typing import Literal

import xxhash

Split = Literal["tune", "eval"]


def split_of(key: str, tune_share: float = 0.5) -> Split:
    """Stable split of a unit key, e.g. ``split_of("ecbplus:topic:3")``."""
    h = xxhash.xxh3_64_intdigest(("retold-split:" + key).encode("utf-8"))
    return "tune" if (h % 10_000) < tune_share * 10_000 else "eval"
