"""Ingest: every input format, every encoding, every kind of bad input."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retold.ingest import formats, iter_articles, read_articles, records
from retold.ingest.dates import split_date_marker
from retold.model import Article, Problem

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "seeds"

STORY = (
    "The harbour authority in Porthallow closed the north pier on Tuesday after divers found "
    "corrosion in two of its steel supports.\n\nRepairs are expected to take six weeks."
)
FI = "Pääministeri sanoi, että hallitus käsittelee esityksen ensi viikolla. Yö oli kylmä."


def by_id(articles: list[Article]) -> dict[str, Article]:
    return {a.id: a for a in articles}


def reasons(problems: list[Problem]) -> list[tuple[str, int | None, str]]:
    return [(Path(p.path).name, p.line, p.reason) for p in problems]


# --- formats -------------------------------------------------------------------


def test_text_markdown_and_json_files_in_nested_folders(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# Pier closed\n\n" + STORY, encoding="utf-8")
    (tmp_path / "sub" / "c.json").write_text(
        json.dumps({"text": STORY, "url": "https://www.harbour-news.example/pier", "published": "2024-05-07T09:30:00Z", "lang": "en-GB"}),
        encoding="utf-8",
    )
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")
    arts, probs = read_articles([tmp_path])
    assert probs == []
    got = by_id(arts)
    assert sorted(got) == ["a", "b", "c"]
    assert got["a"].text == STORY and got["a"].where == str(tmp_path / "a.txt")
    assert got["b"].text.startswith("# Pier closed")
    c = got["c"]
    assert c.source == "harbour-news.example"  # URL host without www.
    assert c.published == datetime(2024, 5, 7, 9, 30, tzinfo=UTC)  # aware stays aware
    assert c.lang == "en"


def test_html_file_main_text_and_metadata(tmp_path: Path) -> None:
    html = f"""<html><head><title>Pier closed | Harbour News</title>
    <meta property="og:url" content="https://www.harbour-news.example/2024/pier">
    <meta property="article:published_time" content="2024-05-07T09:30:00+02:00"></head>
    <body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
    <article><h1>Pier closed after divers find corrosion</h1>
    <p>{STORY.split(chr(10))[0]}</p><p>Repairs are expected to take six weeks, the authority's engineer said.</p></article>
    <footer>Contact us. Privacy policy.</footer></body></html>"""
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    arts, probs = read_articles([tmp_path / "page.html"])
    assert probs == []
    (a,) = arts
    assert a.id == "page"
    assert "corrosion in two of its steel supports" in a.text
    assert "Privacy policy" not in a.text and "Sport" not in a.text
    assert a.title == "Pier closed after divers find corrosion"
    assert a.source == "harbour-news.example"
    assert a.published is not None and a.published.date().isoformat() == "2024-05-07"


def test_jsonl_bad_lines_are_problems_and_neighbours_are_read(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [
        json.dumps({"id": "x1", "text": STORY, "source": "wire"}),
        '{"id": "x2", "text": "broken',
        json.dumps({"id": "x3", "title": "no text here"}),
        json.dumps({"id": "x4", "text": "   \n  "}),
        "",
        json.dumps({"id": "x1", "text": "same id again"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": FI, "lang": "fi"}),
        json.dumps({"id": "x9", "html": "<html><body><p>" + STORY + "</p></body></html>", "url": "http://news.example.org/x9"}),
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="retold.ingest"):
        arts, probs = read_articles([path])
    assert reasons(probs) == [
        ("batch.jsonl", 2, "broken_json"),
        ("batch.jsonl", 3, "missing_text"),
        ("batch.jsonl", 4, "empty_text"),
        ("batch.jsonl", 6, "duplicate_id"),
        ("batch.jsonl", 7, "broken_json"),
    ]
    got = by_id(arts)
    assert sorted(got) == ["batch-8", "x1", "x9"]  # a record without id gets <stem>-<line>
    assert got["x1"].where == f"{path}:1" and got["x1"].source == "wire"
    assert got["batch-8"].lang == "fi" and got["batch-8"].text == FI
    assert "steel supports" in got["x9"].text and got["x9"].source == "news.example.org"
    assert "x1" in probs[3].detail and f"{path}:1" in probs[3].detail  # names where the first one was
    logged = [r.getMessage() for r in caplog.records if r.name == "retold.ingest"]
    assert len(logged) == 5 and all(str(path) in m for m in logged)


def test_jsonl_line_over_the_limit_is_skipped_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "MAX_LINE_BYTES", 300)
    path = tmp_path / "big.jsonl"
    rows = [{"id": "a", "text": "short one"}, {"id": "b", "text": "x " * 2000}, {"id": "c", "text": "short two"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    arts, probs = read_articles([path])
    assert [a.id for a in arts] == ["a", "c"]
    assert reasons(probs) == [("big.jsonl", 2, "line_too_long")]


def test_text_over_the_limit_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "MAX_TEXT_CHARS", 100)
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"id": "long", "text": "word " * 100}) + "\n" + json.dumps({"id": "ok", "text": "fine"}) + "\n")
    arts, probs = read_articles([path])
    assert [a.id for a in arts] == ["ok"]
    assert reasons(probs) == [("t.jsonl", 1, "text_too_long")]


def test_csv_rows_with_multiline_fields_report_their_first_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        'id,title,text,published\n'
        'r1,First,"Line one of r1.\nLine two of r1.",2024-01-02\n'
        'r2,Second,"",2024-01-03\n'
        'r3,Third,too,many,fields\n'
        'r4,Fourth,"The fourth row, quoted.",not a date\n',
        encoding="utf-8",
    )
    arts, probs = read_articles([path])
    assert reasons(probs) == [("rows.csv", 4, "empty_text"), ("rows.csv", 5, "broken_csv"), ("rows.csv", 6, "bad_published")]
    got = by_id(arts)
    assert got["r1"].text == "Line one of r1.\nLine two of r1." and got["r1"].where == f"{path}:2"
    assert got["r1"].published == datetime(2024, 1, 2)
    assert got["r4"].where == f"{path}:6" and got["r4"].published is None  # a bad date costs the date only


def test_csv_without_text_column_and_oversized_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "meta.csv").write_text("id,url\n1,http://a.example\n", encoding="utf-8")
    monkeypatch.setattr(formats, "MAX_LINE_BYTES", 200)
    (tmp_path / "wide.csv").write_text(f"id,text\na,short\nb,{'y' * 500}\nc,after\n", encoding="utf-8")
    arts, probs = read_articles([tmp_path])
    assert reasons(probs) == [("meta.csv", 1, "missing_text"), ("wide.csv", 3, "line_too_long")]
    assert [a.id for a in arts] == ["a", "c"]


def test_parquet_rows_and_an_unreadable_parquet(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["p0", "p1", "p2"],
            "text": [STORY, "", FI],
            "published": [datetime(2024, 3, 1, 12, 0), None, None],
            "extra": [1, 2, 3],
        }
    )
    pq.write_table(table, tmp_path / "good.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 this is not really parquet")
    arts, probs = read_articles([tmp_path])
    assert reasons(probs) == [("bad.parquet", None, "unreadable_file"), ("good.parquet", 1, "empty_text")]
    got = by_id(arts)
    assert sorted(got) == ["p0", "p2"]
    assert got["p0"].published == datetime(2024, 3, 1, 12, 0)
    assert got["p2"].where == f"{tmp_path / 'good.parquet'}:2"


# --- encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,data",
    [
        ("utf8", FI.encode("utf-8")),
        ("utf8_bom", b"\xef\xbb\xbf" + FI.encode("utf-8")),
        ("utf16_bom", FI.encode("utf-16")),
        ("utf16le_nobom", FI.encode("utf-16-le")),
        ("cp1252", FI.encode("cp1252")),
        ("mojibake_cp1252", FI.encode("utf-8").decode("cp1252").encode("utf-8")),
        ("mojibake_cp1250", FI.encode("utf-8").decode("cp1250").encode("utf-8")),  # 'pĂ¤Ă¤'
    ],
)
def test_encodings_decode_to_the_same_text(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / f"{name}.txt").write_bytes(data)
    arts, probs = read_articles([tmp_path])
    assert probs == []
    assert arts[0].text == FI


def test_curly_quotes_and_crlf(tmp_path: Path) -> None:
    text = "“It’s done,” she said.\r\nNext line – with a dash."
    (tmp_path / "q.txt").write_bytes(text.encode("cp1252"))
    (arts, _) = read_articles([tmp_path])
    assert arts[0].text == "“It’s done,” she said.\nNext line – with a dash."  # quotes kept as written


def test_binary_and_undecodable_files(tmp_path: Path) -> None:
    (tmp_path / "image.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "ctrl.txt").write_bytes(b"\x01\x02\x03\x04 text \x05\x06\x07\x08" * 50)
    (tmp_path / "good.txt").write_text(STORY)
    arts, probs = read_articles([tmp_path])
    assert [a.id for a in arts] == ["good"]
    assert reasons(probs) == [("ctrl.txt", None, "binary_file"), ("image.txt", None, "binary_file")]


# --- paths, ids, markers --------------------------------------------------------


def test_unsupported_missing_and_unreadable_paths(tmp_path: Path) -> None:
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")  # listed, cannot be read
    (tmp_path / "ok.txt").write_text(STORY)
    arts, probs = read_articles([tmp_path, tmp_path / "absent.jsonl"])
    assert [a.id for a in arts] == ["ok"]
    assert reasons(probs) == [
        ("gone.txt", None, "unreadable_file"),
        ("notes.docx", None, "unsupported_file"),
        ("absent.jsonl", None, "not_found"),
    ]


def test_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same.txt").write_text("first text")
    (tmp_path / "b" / "same.txt").write_text("second text")
    arts, probs = read_articles([tmp_path])
    assert [a.text for a in arts] == ["first text"]
    assert reasons(probs) == [("same.txt", None, "duplicate_id")]
    assert str(tmp_path / "b" / "same.txt") == probs[0].path


def test_json_file_that_is_not_an_article(tmp_path: Path) -> None:
    (tmp_path / "expected.json").write_text(json.dumps({"about": "labels", "pairs": []}))
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "broken.json").write_text('{"text": "unterminated')
    arts, probs = read_articles([tmp_path])
    assert arts == []
    assert reasons(probs) == [("broken.json", 1, "broken_json"), ("expected.json", None, "missing_text"), ("list.json", None, "missing_text")]


def test_leading_date_marker(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_text(" date 2022-09-20 Russian troops panic, the president said.")
    (tmp_path / "bad.txt").write_text("date 2022-13-45 is not a date")
    (tmp_path / "word.txt").write_text("Date night ideas for 2022-09-20 couples")
    (tmp_path / "r.jsonl").write_text(json.dumps({"id": "r", "text": "date 2021-01-05 Body text.", "published": "2021-01-06"}))
    got = by_id(read_articles([tmp_path])[0])
    assert got["m"].text == "Russian troops panic, the president said." and got["m"].published == datetime(2022, 9, 20)
    assert got["bad"].text == "date 2022-13-45 is not a date" and got["bad"].published is None
    assert got["word"].text.startswith("Date night") and got["word"].published is None
    assert got["r"].text == "Body text." and got["r"].published == datetime(2021, 1, 6)  # the field wins


def test_marker_with_time_and_zone() -> None:
    when, rest = split_date_marker("date 2023-02-01T08:15:00+01:00 Text")
    assert rest == "Text" and when is not None and when.utcoffset() is not None and when.hour == 8


def test_iter_articles_streams_in_input_order(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"i{k}", "text": f"text {k}"}) for k in range(5)))
    it = iter_articles([path])
    first = next(it)
    assert isinstance(first, Article) and first.id == "i0"
    assert [a.id for a in it] == ["i1", "i2", "i3", "i4"]


def test_seeds_folder_reads_five_articles_and_one_problem() -> None:
    if not SEEDS.is_dir():
        pytest.skip("shared data not available")
    arts, probs = read_articles([SEEDS])
    assert len(arts) == 5
    assert reasons(probs) == [("expected.json", None, "missing_text")]
    s000 = by_id(arts)["000_fa444119dd3ebb5e"]
    assert s000.published == datetime(2022, 9, 20)
    assert s000.text.startswith("Russian troops panic as Ukraine")


def test_field_types_and_date_formats(tmp_path: Path) -> None:
    rows = [
        {"id": 7, "text": "numeric id", "published": "Tue, 14 Mar 2024 09:30:00 +0100"},
        {"id": "list", "text": ["not", "a", "string"]},
        {"id": "epoch", "text": "epoch date", "published": 1710405000},
        {"id": "naive", "text": "naive date", "published": "2024-03-14 09:30"},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    arts, probs = read_articles([path])
    assert reasons(probs) == [("t.jsonl", 2, "missing_text")] and "list" in probs[0].detail
    got = by_id(arts)
    assert got["7"].published == datetime(2024, 3, 14, 8, 30, tzinfo=UTC)
    assert got["epoch"].published == datetime(2024, 3, 14, 8, 30, tzinfo=UTC)
    assert got["naive"].published == datetime(2024, 3, 14, 9, 30) and got["naive"].published.tzinfo is None
