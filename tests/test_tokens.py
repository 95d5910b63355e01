"""The vectorised tokeniser reproduces its plain-Python reference exactly, on any script."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retold.clean import tokens as T
from retold.clean.tokens import (
    char_flags,
    normalise_token,
    token_hash,
    tokenize,
    tokenize_hashes,
    tokenize_many,
    tokenize_reference,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

TEXTS = [
    "The mayor said on Tuesday: \u201cWe will rebuild the pier.\u201d It cost $2.5m \u2014 twice the 2019 budget\u2026",
    "Hyv\u00e4\u00e4 p\u00e4iv\u00e4\u00e4! Jyv\u00e4skyl\u00e4n kaupunginvaltuusto p\u00e4\u00e4tti tiistaina, ett\u00e4 laituri korjataan.",
    "Die Stra\u00dfe wurde gesperrt. STRASSE, Ma\u00dfnahme, \u00c4rger \u00fcber \u00d6l \u2013 \u201eso der B\u00fcrgermeister\u201c.",
    "\u5e02\u957f\u5468\u4e8c\u8868\u793a\uff0c\u7801\u5934\u5c06\u88ab\u91cd\u5efa\u3002\u8d39\u7528\u4e3a2019\u5e74\u9884\u7b97\u7684\u4e24\u500d\u3002",
    "Zelensky\u2019s forces \u2014 \u201cpanicking\u201d Kyiv \u00a0 'quoted' \u2018single\u2019 \u00abguillemets\u00bb",
    "emoji \U0001f600 inside\U0001f44dword and \U0001d400bold math",
    "soft\u00adhyphen zero\u200bwidth joiner\u200d end\u200b \u200bstart",
    "decomposed cafe\u0301 and composed caf\u00e9, \ufb01ne ligature, \uff26\uff55\uff4c\uff4c width",
    "\u041c\u044d\u0440 \u0433\u043e\u0440\u043e\u0434\u0430 \u0437\u0430\u044f\u0432\u0438\u043b \u0432\u043e \u0432\u0442\u043e\u0440\u043d\u0438\u043a; \u0419\u043e\u0448\u043a\u0430\u0440-\u041e\u043b\u0430",
    "\ud55c\uad6d\uc5b4 \u1100\u1161\u11a8 jamo, \u0939\u093f\u0928\u094d\u0926\u0940 \u0936\u092c\u094d\u0926, \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0643\u0644\u0645\u0629",
    "under_score snake_case_word 3.14 1,000 x2 \u0130stanbul \u03a3\u039f\u03a6\u0399\u0391 \u03c3\u03bf\u03c6\u03af\u03b1",
    "",
    "   \n\n\t ... \u2014 \u2026",
]


def _same(text: str) -> None:
    h, s = tokenize(text)
    rh, rs = tokenize_reference(text)
    assert s.tolist() == [list(x) for x in rs], text
    assert h.tolist() == rh, text
    assert h.dtype == np.uint64 and s.dtype == np.int32 and s.shape == (len(rh), 2)


@pytest.mark.parametrize("text", TEXTS)
def test_matches_reference(text: str) -> None:
    _same(text)


def test_spans_are_character_offsets_and_hashes_follow_normalisation() -> None:
    text = "Caf\u00e9 \U0001f600 M\u00fcnchen CAFE"
    h, s = tokenize(text)
    words = [text[a:b] for a, b in s.tolist()]
    assert words == ["Caf\u00e9", "M\u00fcnchen", "CAFE"]  # emoji (2 UTF-16 units, 4 bytes) shifts nothing
    assert h[0] == h[2] == token_hash("cafe")  # case and Latin diacritics folded
    assert h[1] == token_hash(normalise_token("M\u00fcnchen")) == token_hash("munchen")


def test_random_mixed_scripts_match_reference() -> None:
    rng = random.Random(5)
    pools = [
        "abcXYZ_09",
        " .,;:!?-\n\t\"'()",
        "\u00e4\u00f6\u00fc\u00df\u00c4\u00e9\u00e8\u00ea\u00e7\u00f1\u00f8\u00e5",
        "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a0\u00ab\u00bb",
        "\u0430\u0431\u0432\u0419\u0416\u0451",
        "\u4e2d\u6587\u5b57\u3002\uff0c\u3001",
        "\u0301\u0308\u0327\u093f\u094d\u3099",  # combining marks
        "\u00ad\u200b\u200c\u200d\u2060\ufeff",  # invisible in-word characters
        "\U0001f600\U0001f44d\U0001d400",
        "\ufb01\uff21\u2460\u00bd\u1100\u1161\uac00",
    ]
    for _ in range(300):
        n = rng.randrange(0, 60)
        text = "".join(rng.choice(rng.choice(pools)) for _ in range(n))
        _same(text)


def test_slice_spans_point_into_the_whole_text() -> None:
    text = "Header line\nThe body starts here and ends there.\nFooter"
    a = text.index("The")
    b = text.index("\nFooter")
    h, s = tokenize(text, a, b)
    assert [text[x:y] for x, y in s.tolist()] == "The body starts here and ends there".split()
    assert h.tolist() == tokenize(text[a:b])[0].tolist()


def test_hashes_only_and_many_agree_with_tokenize() -> None:
    texts = TEXTS + ["x" * 5, "\n".join(TEXTS)]
    many = tokenize_many(texts, chunk_chars=200)  # several chunks, some texts alone
    assert len(many) == len(texts)
    for t, (h, s) in zip(texts, many):
        h1, s1 = tokenize(t)
        assert h.tolist() == h1.tolist() == tokenize_hashes(t).tolist()
        assert s.tolist() == s1.tolist()


def test_long_text_path_matches_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts with more word characters than the position-power table holds use
    per-token powers; the hashes must not change."""
    text = " ".join(TEXTS[:4]) * 3
    before = tokenize(text)[0].tolist()
    monkeypatch.setattr(T, "_GLOBAL_POWERS_MAX", 16)
    assert tokenize(text)[0].tolist() == before == tokenize_reference(text)[0]


def test_hashes_are_stable_across_processes() -> None:
    """The on-disk index stores these hashes: another interpreter (other hash seed)
    must compute the same values."""
    code = (
        "import json,sys; from retold.clean.tokens import tokenize;"
        "print(json.dumps(tokenize(sys.argv[1])[0].tolist()))"
    )
    text = TEXTS[0] + " " + TEXTS[1] + " " + TEXTS[3]
    here = tokenize(text)[0].tolist()
    for seed in ("1", "987"):
        out = subprocess.run(
            [sys.executable, "-c", code, text],
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(out.stdout) == here


def test_distinct_tokens_get_distinct_hashes() -> None:
    words = {normalise_token(w) for t in TEXTS for w in t.split()} | {f"w{i}" for i in range(5000)}
    hashes = {token_hash(w) for w in words}
    assert len(hashes) == len(words)
    assert token_hash("a") != token_hash("\x00a")  # the length term separates these


def test_char_flags() -> None:
    text = "Kyiv 2022 \u00c4rger \u0661\u0662 x"
    up, dig = char_flags(text, "upper"), char_flags(text, "digit")
    assert up.tolist() == [c.isupper() for c in text]
    assert [text[i] for i in np.flatnonzero(dig)] == ["2", "0", "2", "2", "\u0661", "\u0662"]
    with pytest.raises(ValueError, match="unknown character class"):
        char_flags(text, "vowel")


def test_real_texts_match_reference() -> None:
    """Every script in the benchmark data (ECB+, WMT16 en/fi, WMT22: cs, de, ja, ru, uk, zh...)."""
    paths = [DATA / "wmt22_general_docs" / "docs.jsonl", DATA / "wmt16_enfi_docs" / "doc_pairs.jsonl"]
    if not all(p.exists() for p in paths):
        pytest.skip(f"{DATA} not found (shared benchmark data absent)")
    texts: list[str] = []
    for line in paths[0].read_text(encoding="utf-8").splitlines()[:400]:
        d = json.loads(line)
        texts.append(d.get("src") or "")
        texts.extend((r.get("text") or "") for r in (d.get("refs") or {}).values())
    for line in paths[1].read_text(encoding="utf-8").splitlines()[:100]:
        d = json.loads(line)
        texts.append(d.get("orig_text") or "")
    assert len(texts) > 500
    for t in texts:
        _same(t)
