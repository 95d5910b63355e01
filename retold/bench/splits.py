"""The one rule that keeps tuning and evaluation apart.

Calibration (``scripts/calibrate.py``) reads only ``tune``; ``retold bench quality``
reports on ``eval`` (and says so). The corpus readers in ``retold/bench/corpora.py`` read
every unit a data folder holds and ask this module where each one goes; nothing else
decides, and no reader drops a unit because of its name, number or file.

The rule: every labelled unit is put in ``tune`` or ``eval`` by a stable hash of its key
(:func:`split_of`: xxh3 of ``"retold-split:" + key``, half of the hash range to each side).
A hash depends on the key alone, so a unit lands on the same side whatever else the folder
holds, in whatever order, and a partial copy of a data set splits the same way as the
whole. The unit is the largest thing whose parts share more than their labels, so that
nothing learnt on a tune unit is seen again in eval:

* ECB+: the **topic** (:func:`ecbplus_split`, key ``ecbplus:topic:<n>``), whatever its
  number. A topic holds the two similar events that are each other's hard negatives; split
  by document, the same events would be on both sides. For topics 1-45 this gives

  - tune: 3-9, 11, 12, 15, 16, 18, 20-22, 24, 26, 28, 31, 35, 37, 42-45;
  - eval: 1, 2, 10, 13, 14, 17, 19, 23, 25, 27, 29, 30, 32-34, 36, 38-41.

* WMT16 en-fi: the **source document** with its translations (:func:`wmt16_split`, key
  ``wmt16:<doc_id>``).
* WMT22: the **source document** of one language pair with its references and MT outputs
  (:func:`wmt22_split`, key ``wmt22:<pair>:<doc_id>``).
* MRPC: the **sentence pair**, by its two sentence ids (:func:`mrpc_split`, key
  ``mrpc:<id1>-<id2>``; the two sentences in place of the ids where a file has none),
  whichever file it is in (the MS train/test files, GLUE's train/dev tsv): the distributed
  splits are not used, because a copy may hold only one of them (ours holds the train
  file alone) and both sides need pairs.
* STS-B: the **file part** the benchmark ships (:func:`stsb_split`): ``train`` is tune;
  ``dev`` and ``test`` are eval (the parts STS-B keeps out of training). A file that names
  no part is split pair by pair (key ``stsb:<sentence1>\\t<sentence2>``).

The seeds are not split: five texts whose expected answers are the acceptance test, always
scored (split "all").
"""

from __future__ import annotations

from typing import Literal

import xxhash

Split = Literal["tune", "eval"]

#: STS-B file parts and their side of the split
STSB_PARTS: dict[str, Split] = {"train": "tune", "dev": "eval", "test": "eval"}


def split_of(key: str, tune_share: float = 0.5) -> Split:
    """Stable split of a unit key, e.g. ``split_of("ecbplus:topic:3")``."""
    h = xxhash.xxh3_64_intdigest(("retold-split:" + key).encode("utf-8"))
    return "tune" if (h % 10_000) < tune_share * 10_000 else "eval"


def ecbplus_split(topic: int) -> Split:
    """Side of an ECB+ topic (any topic number: both parities are split alike)."""
    return split_of(f"ecbplus:topic:{int(topic)}")


def wmt16_split(doc_id: str) -> Split:
    """Side of a WMT16 en-fi source document and its translations."""
    return split_of(f"wmt16:{doc_id}")


def wmt22_split(pair: str, doc_id: str) -> Split:
    """Side of a WMT22 source document (of one language pair) and its translations."""
    return split_of(f"wmt22:{pair}:{doc_id}")


def mrpc_split(id1: str, id2: str) -> Split:
    """Side of an MRPC sentence pair, by its two sentence ids."""
    return split_of(f"mrpc:{id1}-{id2}")


def stsb_split(part: str | None, sentence1: str = "", sentence2: str = "") -> Split:
    """Side of an STS-B pair: its file part (train, dev, test), else a hash of the pair."""
    if part is not None:
        try:
            return STSB_PARTS[part]
        except KeyError:
            raise ValueError(f"STS-B has no part {part!r}: expected one of {', '.join(STSB_PARTS)}") from None
    return split_of(f"stsb:{sentence1}\t{sentence2}")


def wmt24_split(doc_id: str) -> Split:
    """Side of a WMT24 document: its English source, every translation of it and every MT output
    (one key per document id, so a source and its nine translations fall on one side)."""
    return split_of(f"wmt24:{doc_id}")


def counter_split(pair: str) -> Split:
    """Side of a COUNTER pair: a wire story and the newspaper story labelled against it."""
    return split_of(f"counter:{pair}")
