"""The semantic layer: pluggable encoder, nothing encoded twice, order-aware alignment, languages without vectors."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

import retold
from retold.cli.scan import sample_dir
from retold.compare.align import monotone_alignment
from retold.model import Article
from retold.sign.embed import covers


class BagOfWordsEncoder:
    """A tiny encoder a user might plug in: hashed bag of words, counting what it is asked."""

    name = "test-bow"
    dim = 256
    languages = None

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
        n = np.linalg.norm(out, axis=1, keepdims=True)
        n[n == 0] = 1
        return out / n


def test_a_plugged_encoder_is_used_and_the_index_spares_old_sentences(tmp_path):
    files = sorted(Path(sample_dir()).glob("*.txt"))
    first, second = files[:5], files[5:]
    enc = BagOfWordsEncoder()
    idx = tmp_path / "idx.sqlite"
    r1 = retold.scan(first, index=idx, encoder=enc)
    assert all(d.sent_vecs is not None and d.sent_vecs.shape[1] == 256 for d in r1.docs.values())
    n_first = len(enc.seen)
    assert n_first > 0
    retold.scan(second, index=idx, encoder=enc)
    later = enc.seen[n_first:]
    old_text = "\n".join(p.read_text(encoding="utf-8") for p in first)
    new_text = "\n".join(p.read_text(encoding="utf-8") for p in second)
    assert later, "new articles were encoded"
    # every sentence encoded in the second run comes from the new articles
    assert all(s in new_text for s in later)
    assert sum(s in old_text and s not in new_text for s in later) == 0


def test_monotone_alignment_keeps_order_and_skips_weak_pairs():
    sim = np.array(
        [
            [0.9, 0.1, 0.1],
            [0.1, 0.2, 0.8],
            [0.1, 0.85, 0.1],  # crossing match: cannot be kept together with (1, 2)
        ],
        dtype=np.float32,
    )
    pairs = monotone_alignment(sim, threshold=0.5)
    assert pairs[0] == (0, 0)
    assert all(i2 > i1 and j2 > j1 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]))
    assert len(pairs) == 2
    assert monotone_alignment(np.full((3, 3), 0.2, dtype=np.float32), threshold=0.5) == []


def test_languages_outside_the_encoder_are_aligned_by_names_and_numbers():
    en = (
        "Finnish Prime Minister Sanna Marin met Swedish Prime Minister Magdalena Andersson in Helsinki on Monday. "
        "The two leaders discussed NATO membership and the 1,340 kilometre border with Russia. "
        "Andersson said Stockholm would decide by 16 May. "
        "Marin told reporters in Kesäranta that Finland had received 1,200 applications for security clearance. "
        "The meeting ended with a joint statement on Ukraine."
    )
    fi = (
        "Pääministeri Sanna Marin tapasi Ruotsin pääministerin Magdalena Anderssonin Helsingissä maanantaina. "
        "Johtajat keskustelivat Nato-jäsenyydestä ja 1,340 kilometrin rajasta Venäjän kanssa. "
        "Andersson sanoi Tukholman päättävän asiasta 16. toukokuuta mennessä. "
        "Marin kertoi toimittajille Kesärannassa, että Suomi oli saanut 1,200 hakemusta turvallisuusselvitykseen. "
        "Tapaaminen päättyi yhteiseen julkilausumaan Ukrainasta."
    )
    assert not covers(retold.sign.default_encoder(), "fi"), "the default encoder does not know Finnish"
    pair = retold.compare(Article(id="en", text=en, lang="en"), Article(id="fi", text=fi, lang="fi"))
    assert pair.relation == "translation"
    assert pair.features["encoded"] == 0.0
    assert pair.coverage_a > 0.6 and pair.coverage_b > 0.6
    assert pair.passages and all(p.kind == "translation" for p in pair.passages)
    # and an unrelated Finnish text is not a translation of it
    other = (
        "Jääkiekon MM-kisat pelataan Tampereella ja Riiassa. Leijonat kohtaavat avausottelussa Norjan. "
        "Päävalmentaja Jukka Jalonen nimesi joukkueeseen kolme uutta pelaajaa. Liput myytiin loppuun viikossa."
    )
    p2 = retold.compare(Article(id="en", text=en, lang="en"), Article(id="fi2", text=other, lang="fi"))
    assert p2.relation not in ("translation", "rewrite", "same_story")
