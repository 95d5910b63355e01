"""Settings that change what retold finds. One dataclass, passed explicitly to each stage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    # --- lexical signatures (sign/) -------------------------------------
    shingle_size: int = 5  # word k-grams for MinHash and fingerprints
    num_perm: int = 128  # MinHash permutations
    lsh_bands: int = 32  # 32 bands x 4 rows: S-curve midpoint near Jaccard 0.42
    fingerprint_mod: int = 8  # keep 1 shingle in N as a fingerprint (containment search)
    seed: int = 1
    # --- candidates ------------------------------------------------------
    max_bucket: int = 200  # LSH/fingerprint buckets larger than this are boilerplate-like: skipped
    min_shared_fingerprints: int = 3
    ann_neighbours: int = 20  # article-vector neighbours looked at per article
    ann_min_cosine: float = 0.35
    #: texts the second model may read to find partners for texts that nothing else placed
    #: (candidates/rescue.py); about 12 texts/s on 2 cores, so 300 is about 25 s. Kept small by
    #: default: in a crawl most such texts have no translation to find
    rescue_max_texts: int = 300
    #: sentences it may then read to align the pairs it proposed (about 35/s: 2000 is one minute)
    rescue_max_sentences: int = 2000
    # --- compare ---------------------------------------------------------
    min_passage_tokens: int = 8  # shortest verbatim passage reported
    second_opinion: bool = True  # borderline pairs in languages the encoder lacks: ask multilingual-E5 (compare/verify.py)
    # --- run -------------------------------------------------------------
    semantic: bool = True  # sentence embeddings, rewrites, translations, stories
    threads: int = 0  # 0: all cores
    #: the same articles give the same pairs, run after run: the ANN graph (above 4,000 articles)
    #: is built on one thread. False builds it on all cores: faster on many cores, but the
    #: neighbours, and so a few pairs, may differ between runs
    reproducible: bool = True
    implied_pairs: bool = True  # also report pairs the stories imply (basis "story"/"storyline"), see group/implied.py
    keep_candidates: bool = False  # ScanResult.candidates lists every compared pair (to measure candidate recall)
    batch_size: int = 256
