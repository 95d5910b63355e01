"""Sentences end at the stops of scripts that need no space after them (Urdu, Hindi, ...)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retold.clean import prepare
from retold.clean.sentences import sentence_spans
from retold.config import Settings
from retold.model import Article

COUNTER = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "counter" / "docs.jsonl"


def split(text: str) -> list[str]:
    """Sentences of a one-line text, read back through their offsets."""
    spans = sentence_spans(text, [(0, len(text))])[0]
    for a, b in spans:
        assert 0 <= a < b <= len(text) and text[a:b] == text[a:b].strip()
    return [text[a:b] for a, b in spans]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # Urdu full stop with no space after it, as newspapers often write it
        ("بارش شروع ہو گئی۔سڑکیں بند ہیں۔سکول کل کھلیں گے۔", ["بارش شروع ہو گئی۔", "سڑکیں بند ہیں۔", "سکول کل کھلیں گے۔"]),
        # ... with a space before it, after it, or a run of them after a dateline
        ("بارش شروع ہو گئی ۔سڑکیں بند ہیں۔ سکول کل کھلیں گے", ["بارش شروع ہو گئی ۔", "سڑکیں بند ہیں۔", "سکول کل کھلیں گے"]),
        ("لاہور۔۔۔۔بارش شروع ہو گئی۔", ["لاہور۔۔۔۔", "بارش شروع ہو گئی۔"]),
        # a number written with the mark is not cut
        ("شرح 7۔5 فیصد رہی۔اگلے سال بہتر ہو گی۔", ["شرح 7۔5 فیصد رہی۔", "اگلے سال بہتر ہو گی۔"]),
        # a quote with no space after the stop opens the next sentence; one with a space closes this one
        ('انہوں نے کہا۔"ہم تیار ہیں۔" پھر وہ چلے گئے۔', ["انہوں نے کہا۔", '"ہم تیار ہیں۔"', "پھر وہ چلے گئے۔"]),
        # Arabic-script question mark
        ("کیا بارش ہو گی؟محکمہ موسمیات نے ہاں کہا۔", ["کیا بارش ہو گی؟", "محکمہ موسمیات نے ہاں کہا۔"]),
        # Hindi danda, with and without a space, and the double danda
        ("बारिश शुरू हो गई।सड़कें बंद हैं। स्कूल कल खुलेंगे॥ अंत", ["बारिश शुरू हो गई।", "सड़कें बंद हैं।", "स्कूल कल खुलेंगे॥", "अंत"]),
        # Bengali writes the same danda
        ("বৃষ্টি শুরু হয়েছে।রাস্তা বন্ধ।", ["বৃষ্টি শুরু হয়েছে।", "রাস্তা বন্ধ।"]),
        # Armenian and Ethiopic full stops
        ("Անձրև է գալիս։Ճանապարհները փակ են։", ["Անձրև է գալիս։", "Ճանապարհները փակ են։"]),
        ("ዝናብ ጀመረ።መንገዶች ተዘግተዋል።", ["ዝናብ ጀመረ።", "መንገዶች ተዘግተዋል።"]),
        # Greek question mark (a semicolon before a capital)
        ("Θα βρέξει; Η υπηρεσία λέει ναι.", ["Θα βρέξει;", "Η υπηρεσία λέει ναι."]),
        # the quote after a Chinese stop stays with its sentence
        ("他说：“下雨了！”然后走了。第二天晴了。", ["他说：“下雨了！”", "然后走了。", "第二天晴了。"]),
        # English is cut where it always was
        ("Rain began at 5.30 p.m. on Friday. Roads closed.", ["Rain began at 5.30 p.m. on Friday.", "Roads closed."]),
    ],
)
def test_script_stops(text: str, want: list[str]) -> None:
    assert split(text) == want


def test_offsets_into_the_original_text_across_lines() -> None:
    text = "سرخی یہاں ہے\n\n  بارش شروع ہو گئی۔سڑکیں بند ہیں۔\nवर्षा हुई।सड़कें बंद।  \n"
    (d,) = prepare([Article(id="u", text=text)], Settings())
    got = [d.sentence(i) for i in range(len(d.sent_spans))]
    assert got == ["سرخی یہاں ہے", "بارش شروع ہو گئی۔", "سڑکیں بند ہیں۔", "वर्षा हुई।", "सड़कें बंद।"]
    for (a, b), s in zip(d.sent_spans.tolist(), got):
        assert text[a:b] == s


@pytest.mark.skipif(not COUNTER.is_file(), reason="COUNTER data not present")
def test_counter_article_splits_at_every_full_stop() -> None:
    with COUNTER.open(encoding="utf-8") as f:
        rec = next(r for r in map(json.loads, f) if r["id"] == "counter_0001p")
    (d,) = prepare([Article(id=rec["id"], text=rec["text"])], Settings())
    assert rec["text"].count("۔") == 12
    assert len(d.sent_spans) >= 12  # was 3
    assert all(d.sentence(i).count("۔") <= 1 for i in range(len(d.sent_spans)))
