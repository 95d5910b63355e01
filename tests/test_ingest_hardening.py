"""Ingest at the edge: every field validated, one bad record (or field) never costs more than itself.

Each case a user met once stopped ``retold scan`` with a traceback or lost good records;
here each is read through :func:`retold.ingest.read_articles` from files in a temporary
folder, and property tests throw arbitrary JSON-able records at the JSONL, CSV and JSON
readers: nothing escapes, every good record goes in unchanged, every bad one is listed
once with its line.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta, timezone
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from retold.clean.lines import line_spans
from retold.clean.sentences import sentence_spans
from retold.ingest import read_articles
from retold.ingest.dates import MAX_YEAR, MIN_YEAR, split_date_marker
from retold.ingest.decode import fix_text
from retold.ingest.jsontext import MAX_JSON_DEPTH
from retold.ingest.records import MAX_ID_CHARS, host_of, normalise_lang
from retold.model import Article, Problem

FIELD_REASONS = frozenset({"bad_title", "bad_url", "bad_source", "bad_published", "bad_lang"})
#: Examples per property test; raise RETOLD_PROPERTY_EXAMPLES for a longer hunt.
PROPERTY = settings(
    max_examples=int(os.environ.get("RETOLD_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow],
)


def reasons(problems: list[Problem]) -> list[tuple[str, int | None, str]]:
    return [(Path(p.path).name, p.line, p.reason) for p in problems]


def by_id(arts: list[Article]) -> dict[str, Article]:
    return {a.id: a for a in arts}


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_safe(a: Article) -> None:
    """What every stage after ingest may rely on."""
    assert isinstance(a.id, str) and a.id and len(a.id) <= MAX_ID_CHARS
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in a.id)
    for value in (a.id, a.text, a.title, a.url, a.source, a.lang, a.where):
        if value is not None:
            value.encode("utf-8")  # no lone surrogate anywhere
    json.dumps(a.to_dict(), ensure_ascii=False).encode("utf-8")
    p = a.published
    if p is not None:
        assert MIN_YEAR <= p.year <= MAX_YEAR
        ref = datetime(2000, 1, 1, tzinfo=p.tzinfo and UTC)
        (p - ref).total_seconds()
        p + timedelta(days=30), p - timedelta(days=30)
        p.astimezone(), p.astimezone(UTC)  # a naive one is taken as local time
        p.replace(tzinfo=None) - datetime(2000, 1, 1)


def assert_problem_writable(p: Problem) -> None:
    json.dumps({"path": p.path, "line": p.line, "reason": p.reason, "detail": p.detail}, ensure_ascii=False).encode("utf-8")
    assert len(p.detail) < 600


# --- dates ------------------------------------------------------------------------


def test_published_out_of_range_costs_only_the_date(tmp_path: Path) -> None:
    lines = [
        '{"id": "big", "text": "One.", "published": 1e300}',
        '{"id": "minf", "text": "Two.", "published": -Infinity}',
        '{"id": "nan", "text": "Three.", "published": NaN}',
        '{"id": "end", "text": "Four.", "published": "9999-12-31T23:00:00-05:00"}',
        '{"id": "start", "text": "Five.", "published": "0001-01-01T00:00:00+05:00"}',
        '{"id": "huge", "text": "Six.", "published": 99999999999999999999}',
        '{"id": "rss", "text": "Seven.", "published": "Tue, 14 Mar 2024 99999999999999999999:30:00 +0100"}',
        '{"id": "fine", "text": "Eight.", "published": "2024-03-14T09:30:00-05:00"}',
    ]
    arts, probs = read_articles([write_jsonl(tmp_path / "d.jsonl", lines)])
    got = by_id(arts)
    assert list(got) == ["big", "minf", "nan", "end", "start", "huge", "rss", "fine"]  # every record goes in
    assert reasons(probs) == [("d.jsonl", n, "bad_published") for n in range(1, 8)]
    assert all("published" in p.detail and "left empty" in p.detail for p in probs)
    assert all(got[i].published is None for i in ("big", "minf", "nan", "end", "start", "huge", "rss"))
    assert got["fine"].published == datetime(2024, 3, 14, 14, 30, tzinfo=UTC)
    assert got["fine"].published.utcoffset() == timedelta(hours=-5)  # the offset is kept as given
    for a in arts:
        assert_safe(a)


def test_an_endless_epoch_costs_its_field_not_the_rest_of_the_file(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"r{i}", "text": f"Record {i}."}) for i in range(5)]
    lines.insert(1, '{"id": "huge", "text": "Epoch far away.", "published": 99999999999999999999}')
    lines.insert(3, '{"id": "huger", "text": "Further.", "published": ' + "9" * 400 + "}")
    arts, probs = read_articles([write_jsonl(tmp_path / "e.jsonl", lines)])
    assert [a.id for a in arts] == ["r0", "huge", "r1", "huger", "r2", "r3", "r4"]
    assert reasons(probs) == [("e.jsonl", 2, "bad_published"), ("e.jsonl", 4, "bad_published")]
    assert "400 digits" in probs[1].detail  # never the whole number


def test_extreme_dates_from_csv_parquet_and_epochs(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "id,text,published\nc1,One.,9999-12-31T23:00:00-05:00\nc2,Two.,2024-01-02\nc3,Three.,0999-12-31\n", encoding="utf-8"
    )
    secs = pa.array([0, 300 * 10**9, 1_710_405_000], type=pa.timestamp("s"))  # the middle one: year 11,476
    pq.write_table(pa.table({"id": ["p0", "p1", "p2"], "text": ["Zero.", "One.", "Two."], "published": secs}), tmp_path / "p.parquet")
    lines = [
        json.dumps({"id": "ms", "text": "Milliseconds.", "published": 1_710_405_000_123}),
        json.dumps({"id": "neg", "text": "Before 1970.", "published": -2_000_000_000}),
        json.dumps({"id": "far", "text": "Too early.", "published": -40_000_000_000}),
    ]
    write_jsonl(tmp_path / "e.jsonl", lines)
    arts, probs = read_articles([tmp_path])
    assert reasons(probs) == [
        ("c.csv", 2, "bad_published"), ("c.csv", 4, "bad_published"), ("e.jsonl", 3, "bad_published"), ("p.parquet", 1, "bad_published")
    ]
    got = by_id(arts)
    assert sorted(got) == ["c1", "c2", "c3", "far", "ms", "neg", "p0", "p1", "p2"]
    assert got["c2"].published == datetime(2024, 1, 2)
    assert got["ms"].published == datetime(2024, 3, 14, 8, 30, 0, 123000, tzinfo=UTC)
    assert got["neg"].published == datetime(1906, 8, 16, 20, 26, 40, tzinfo=UTC)
    assert got["p2"].published == datetime(2024, 3, 14, 8, 30) and got["p1"].published is None
    for a in arts:
        assert_safe(a)


# --- text -------------------------------------------------------------------------


def test_lone_surrogates_become_replacement_characters_at_the_same_offsets(tmp_path: Path) -> None:
    lines = [
        '{"id": "s", "text": "A lone \\ud800 here. And \\udc00 there.", "title": "T\\udfff"}',
        '{"id": "pair", "text": "Escaped pair \\ud83d\\ude00 is one character."}',
        '{"id": "after", "text": "Still read."}',
    ]
    arts, probs = read_articles([write_jsonl(tmp_path / "s.jsonl", lines)])
    assert probs == []
    got = by_id(arts)
    text = got["s"].text
    assert text == "A lone \ufffd here. And \ufffd there." and len(text) == len("A lone X here. And X there.")
    assert got["s"].title == "T\ufffd"
    assert got["pair"].text == "Escaped pair \U0001f600 is one character."
    for a in arts:
        assert_safe(a)
        sentence_spans(a.text, line_spans(a.text))  # where the lone surrogate used to fail


# --- JSON ----------------------------------------------------------------------------


def test_deep_json_is_one_problem_for_its_line_or_file(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        json.dumps({"id": "before", "text": "Before."}),
        deep,
        '{"id": "deep", "text": "Deep field.", "x": ' + deep + "}",
        '{"id": "bound", "text": "Just too deep.", "x": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}",
        '{"id": "ok", "text": "Deep enough.", "x": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}",
        '{"id": "digits", "text": "Endless number.", "x": ' + "1" * 5000 + "}",
        json.dumps({"id": "after", "text": "After."}),
    ]
    write_jsonl(tmp_path / "deep.jsonl", lines)
    (tmp_path / "deepfile.json").write_text('{"text": "t", "x": ' + deep + "}", encoding="utf-8")
    arts, probs = read_articles([tmp_path])
    assert [a.id for a in arts] == ["before", "ok", "after"]
    assert reasons(probs) == [
        ("deep.jsonl", 2, "too_deep"),
        ("deep.jsonl", 3, "too_deep"),
        ("deep.jsonl", 4, "too_deep"),
        ("deep.jsonl", 6, "broken_json"),
        ("deepfile.json", None, "too_deep"),
    ]


def test_utf16_and_utf32_jsonl_with_and_without_a_mark(tmp_path: Path) -> None:
    rows = [{"id": "a", "text": "Päivää, maailma."}, {"id": "b", "text": "Plain ASCII record."}, {"id": "c", "text": "€ and ✓."}]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    for name, data in [
        ("bom16", body.encode("utf-16")),
        ("le16", body.encode("utf-16-le")),
        ("be16", body.encode("utf-16-be")),
        ("bom32", body.encode("utf-32")),
        ("crlf16", body.replace("\n", "\r\n").encode("utf-16-le")),
    ]:
        (tmp_path / f"{name}.jsonl").write_bytes(data)
        arts, probs = read_articles([tmp_path / f"{name}.jsonl"])
        assert probs == [], (name, probs)
        assert [(a.id, a.text) for a in arts] == [(r["id"], r["text"]) for r in rows], name
        assert [a.where for a in arts] == [f"{tmp_path / name}.jsonl:{n}" for n in (1, 2, 3)]


def test_ascii_utf16_text_without_a_mark_is_text_not_binary(tmp_path: Path) -> None:
    text = "Plain ASCII news in UTF-16.\nSecond line."
    (tmp_path / "le.txt").write_bytes(text.encode("utf-16-le"))
    (tmp_path / "be.txt").write_bytes(text.encode("utf-16-be"))
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02\x03" * 50)
    arts, probs = read_articles([tmp_path])
    assert [(a.id, a.text) for a in arts] == [("be", text), ("le", text)]
    assert reasons(probs) == [("bin.txt", None, "binary_file")]


def test_a_utf8_jsonl_that_opens_with_nul_garbage_is_not_read_as_utf16(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_bytes(b"x\x00" * 40 + b"\n" + json.dumps({"id": "ok", "text": "Readable."}).encode() + b"\n")
    arts, probs = read_articles([path])
    assert [a.id for a in arts] == ["ok"] and reasons(probs) == [("g.jsonl", 1, "broken_json")]


# --- CSV -----------------------------------------------------------------------------


def test_csv_unterminated_quote_is_reported_and_the_rows_it_swallowed_are_read(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "id,text,title\n"
        'r1,"Unterminated quote, t1\n'
        'r2,"Second row",t2\n'
        "r3,Third row,t3\n"
        'r4,"Multi-line\ntext is fine",t4\n'
        'r5,"He said" hi,t5\n'  # a stray quote on one line: read leniently, as before
        'r6,"Runs to the end\n'
        "r7,Seventh row,t7\n",
        encoding="utf-8",
    )
    arts, probs = read_articles([path])
    assert reasons(probs) == [("q.csv", 2, "broken_csv"), ("q.csv", 8, "broken_csv")]
    assert "not closed" in probs[0].detail and "read again" in probs[0].detail
    got = by_id(arts)
    assert list(got) == ["r2", "r3", "r4", "r5", "r7"]
    assert got["r2"].where == f"{path}:3" and got["r2"].title == "t2"
    assert got["r4"].text == "Multi-line\ntext is fine" and got["r4"].where == f"{path}:5"
    assert got["r5"].text == "He said hi"
    assert got["r7"].where == f"{path}:9"


def test_csv_full_of_runaway_quotes_is_read_in_bounded_time(tmp_path: Path) -> None:
    n = 3000
    path = tmp_path / "many.csv"
    path.write_text("id,text\n" + "".join(f'r{i},"never closed {i}\n' for i in range(n)), encoding="utf-8")
    arts, probs = read_articles([path])
    assert arts == [] or all(a.id.startswith("r") for a in arts)
    assert probs and all(p.reason == "broken_csv" for p in probs)
    assert len(probs) <= n


def test_utf16_csv_without_a_mark(tmp_path: Path) -> None:
    (tmp_path / "u.csv").write_bytes("id,text\nu1,Plain text.\nu2,Päivää.\n".encode("utf-16-le"))
    arts, probs = read_articles([tmp_path / "u.csv"])
    assert probs == [] and [(a.id, a.text) for a in arts] == [("u1", "Plain text."), ("u2", "Päivää.")]


# --- ids and field types --------------------------------------------------------------


def test_non_string_ids_and_fields_follow_one_rule(tmp_path: Path) -> None:
    rows = [
        {"id": 123, "text": "Integer id."},
        {"id": True, "text": "Bool id."},
        {"id": [1, 2], "text": "List id."},
        {"id": {"a": 1}, "text": "Object id."},
        {"id": 1.5, "text": "Float id."},
        {"id": None, "text": "Null id: the default id."},
        {"id": "a\nb", "text": "Newline in id."},
        {"id": "tab\there", "text": "Tab in id."},
        {"id": "nul\x00", "text": "NUL in id."},
        {"id": "l\u2028s", "text": "Line separator in id."},
        {"id": "sur\ud800", "text": "Surrogate in id."},
        {"id": "x" * (MAX_ID_CHARS + 1), "text": "Long id."},
        {"id": "  spaced  ", "text": "Stripped id."},
        {"id": "t-bool", "text": True},
        {"id": "t-num", "text": 42},
        {"id": "t-null", "text": None},
        {"id": "fields", "text": "Bad fields.", "title": 5, "url": ["x"], "source": {"a": 1}, "lang": True, "published": [2024]},
        {"id": "values", "text": "Bad values.", "url": "http://a.example/\nx", "lang": "english!", "title": "t" * 20_000},
        {"id": "good", "text": "Good fields.", "title": " Title ", "url": "https://www.news.example/a", "lang": "pt-BR"},
    ]
    path = tmp_path / "ids.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    arts, probs = read_articles([path])
    got = by_id(arts)
    assert list(got) == ["123", "ids-6", "spaced", "fields", "values", "good"]
    assert reasons(probs) == [
        ("ids.jsonl", 2, "bad_id"),
        ("ids.jsonl", 3, "bad_id"),
        ("ids.jsonl", 4, "bad_id"),
        ("ids.jsonl", 5, "bad_id"),
        ("ids.jsonl", 7, "bad_id"),
        ("ids.jsonl", 8, "bad_id"),
        ("ids.jsonl", 9, "bad_id"),
        ("ids.jsonl", 10, "bad_id"),
        ("ids.jsonl", 11, "bad_id"),
        ("ids.jsonl", 12, "bad_id"),
        ("ids.jsonl", 14, "missing_text"),
        ("ids.jsonl", 15, "missing_text"),
        ("ids.jsonl", 16, "missing_text"),
        ("ids.jsonl", 17, "bad_url"),
        ("ids.jsonl", 17, "bad_title"),
        ("ids.jsonl", 17, "bad_published"),
        ("ids.jsonl", 17, "bad_source"),
        ("ids.jsonl", 17, "bad_lang"),
        ("ids.jsonl", 18, "bad_url"),
        ("ids.jsonl", 18, "bad_title"),
        ("ids.jsonl", 18, "bad_lang"),
    ]
    details = {(p.line, p.reason): p.detail for p in probs}
    assert "bool" in details[(14, "missing_text")] and "id is True" in details[(2, "bad_id")]
    assert "title is 5, expected a string" in details[(17, "bad_title")]
    f = got["fields"]
    assert (f.title, f.url, f.source, f.lang, f.published) == (None, None, None, None, None)
    assert got["values"].url is None and got["values"].lang is None and got["values"].title is None
    g = got["good"]
    assert (g.title, g.url, g.source, g.lang) == ("Title", "https://www.news.example/a", "news.example", "pt")
    for a in arts:
        assert_safe(a)
    for p in probs:
        assert_problem_writable(p)


def test_a_duplicate_with_a_bad_field_is_listed_once(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "a", "text": "First."}), json.dumps({"id": "a", "text": "Again.", "title": 5})]
    arts, probs = read_articles([write_jsonl(tmp_path / "dup.jsonl", lines)])
    assert [a.text for a in arts] == ["First."] and reasons(probs) == [("dup.jsonl", 2, "duplicate_id")]


def test_html_with_a_lone_surrogate(tmp_path: Path) -> None:
    para = "The council approved the bridge on Tuesday after a debate that lasted well into the night. " * 3
    html = f"<html><head><title>Bridge \ud800</title></head><body><article><h1>Bridge</h1><p>{para}\ud800</p><p>{para}</p></article></body></html>"
    path = write_jsonl(tmp_path / "h.jsonl", [json.dumps({"id": "h", "html": html}), json.dumps({"id": "after", "text": "Read."})])
    arts, probs = read_articles([path])
    assert [a.id for a in arts] == ["h", "after"] and probs == []
    for a in arts:
        assert_safe(a)


# --- files and folders ------------------------------------------------------------------


def _unblock(fifo: Path) -> None:
    """Open and close the writing end: a reader blocked on the FIFO then sees its end."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass  # nobody is reading it: as it should be


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_socket_and_device_are_refused_without_opening_them(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    fifo = folder / "feed.jsonl"
    os.mkfifo(fifo)
    (folder / "ok.txt").write_text("A fine text.", encoding="utf-8")
    sock_path = folder / "s.csv"
    sock = None
    if len(str(sock_path)) < 100:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(sock_path))
    guard = threading.Timer(10.0, _unblock, args=(fifo,))  # only fires if a reader opened the FIFO
    guard.start()
    try:
        arts, probs = read_articles([folder, Path("/dev/null")])
    finally:
        guard.cancel()
        if sock is not None:
            sock.close()
    assert [a.id for a in arts] == ["ok"]
    expected = [("feed.jsonl", None, "special_file")]
    if sock is not None:
        expected.append(("s.csv", None, "special_file"))
    expected.append(("null", None, "special_file"))
    assert reasons(probs) == expected
    assert "named pipe" in probs[0].detail and "character device" in probs[-1].detail


def remove_deep(top: Path) -> None:
    """Remove a chain of folders ``top/d/d/...`` level by level (``shutil.rmtree`` recurses)."""
    while (top / "d").is_dir() and not (top / "d").is_symlink():
        level = top / "d"
        if (level / "d").is_dir():
            os.rename(level / "d", top / "d.next")
        for e in os.scandir(level):
            os.unlink(e.path)
        os.rmdir(level)
        if (top / "d.next").exists():
            os.rename(top / "d.next", top / "d")


def test_a_folder_1200_levels_deep_and_a_link_loop(tmp_path: Path) -> None:
    top = tmp_path / "deep"
    top.mkdir()
    (top / "first.txt").write_text("At the top.", encoding="utf-8")
    os.symlink("..", top / "loop")  # a link to a parent: not followed
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(1200):
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        os.symlink("../..", "up", dir_fd=fd)
        with open(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w", encoding="utf-8") as f:
            f.write("At the bottom.")
    finally:
        os.close(fd)
    try:
        arts, probs = read_articles([top])
    finally:
        remove_deep(top)
    assert [a.id for a in arts] == ["first", "bottom"] and probs == []
    assert Path(arts[1].where).parts.count("d") == 1200


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    if sys.platform == "darwin":
        pytest.skip("macOS file names are always UTF-8")
    name = os.fsdecode(b"caf\xe9.txt")
    try:
        (tmp_path / name).write_text("A text whose file name is Latin-1.", encoding="utf-8")
    except OSError:
        pytest.skip("the file system refuses non-UTF-8 names")
    arts, probs = read_articles([tmp_path])
    assert probs == [] and [a.id for a in arts] == ["caf\\xe9"]
    assert_safe(arts[0])


# --- the CLI ---------------------------------------------------------------------------


def test_scan_of_a_file_mixing_good_and_bad_records_exits_0(tmp_path: Path) -> None:
    story = (
        "The city council approved the new river bridge on Tuesday after a long debate. "
        "Construction starts in spring and will take two years. The mayor said the bridge would cut commuting times."
    )
    lines = [
        json.dumps({"id": "a1", "text": story, "published": "2024-03-01T10:00:00+02:00"}),
        json.dumps({"id": "a2", "text": story + " A line more.", "published": "9999-12-31T23:00:00-05:00"}),
        json.dumps({"id": "a3", "text": story, "published": "0001-01-01T00:00:00+05:00"}),
        json.dumps({"id": "a4", "text": story + " Lone \ud800 surrogate.", "published": 1e300}),
        '{"id": "a5", "text": "Football scores and league tables of the weekend.", "published": 99999999999999999999}',
        json.dumps({"id": True, "text": "A bool id."}),
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"id": "a6", "text": story, "published": "-Infinity", "lang": 7}),
        "{broken",
    ]
    src = write_jsonl(tmp_path / "mix.jsonl", lines)
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "retold", "scan", str(src), "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    written = [json.loads(x) for x in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(a["id"] for a in written) == ["a1", "a2", "a3", "a4", "a5", "a6"]
    problems = [json.loads(x) for x in (out / "problems.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(p["line"], p["reason"]) for p in problems] == [
        (2, "bad_published"), (3, "bad_published"), (4, "bad_published"), (5, "bad_published"),
        (6, "bad_id"), (7, "too_deep"), (8, "bad_published"), (8, "bad_lang"), (9, "broken_json"),
    ]
    pairs = [json.loads(x) for x in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any({p["a"], p["b"]} == {"a1", "a3"} for p in pairs)  # the copies are still found


# --- properties ---------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=30)  # lone surrogates included
UTF8_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10,
)
FIELDS = ("id", "text", "title", "url", "source", "published", "lang")
#: Printable text that needs no repair: what goes in comes out unchanged.
CLEAN_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from("\n\t")


def _clean(t: str) -> bool:
    return bool(t.strip()) and fix_text(t) == t and split_date_marker(t)[1] == t and t[0].isalnum()


CLEAN_TEXT = st.text(CLEAN_CHARS, min_size=1, max_size=40).filter(_clean)
LANGS = st.sampled_from([None, "en", "de", "pt-BR", "EN_gb", "fi"])
OFFSETS = st.none() | st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
DATES = st.datetimes(min_value=datetime(MIN_YEAR, 1, 2), max_value=datetime(MAX_YEAR, 12, 30), timezones=OFFSETS)
URLS = st.from_regex(r"https?://(www\.)?[a-z]{1,8}\.example/[a-z0-9/]{0,8}", fullmatch=True)


@st.composite
def good_records(draw: st.DrawFn, i: int) -> dict:
    rec: dict = {"id": f"g{i}-" + draw(st.text(st.characters(whitelist_categories=("L", "N")), max_size=8)), "text": draw(CLEAN_TEXT)}
    for name, strategy in (("title", CLEAN_TEXT), ("url", URLS), ("source", CLEAN_TEXT), ("lang", LANGS)):
        value = draw(st.none() | strategy)
        if value is not None:
            rec[name] = value
    when = draw(st.none() | DATES)
    if when is not None:
        rec["published"] = when.isoformat()
    return rec


def _expect(rec: dict) -> dict:
    """The article fields a good record must come out with."""
    url = rec.get("url")
    published = rec.get("published")
    return {
        "text": rec["text"],
        "title": rec.get("title", "").strip() or None,
        "url": url,
        "source": rec.get("source", "").strip() or host_of(url),
        "lang": normalise_lang(rec.get("lang")),
        "published": datetime.fromisoformat(published) if published else None,
    }


def _fields(a: Article) -> dict:
    return {"text": a.text, "title": a.title, "url": a.url, "source": a.source, "lang": a.lang, "published": a.published}


def _deep_line(n: int) -> str:
    return '{"id": "deep", "text": "t", "x": ' + "[" * n + "]" * n + "}"


@st.composite
def jsonl_lines(draw: st.DrawFn) -> list[tuple[str, str, dict | None]]:
    """(kind, line, record) for each line of a JSONL file."""
    out = []
    for i in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["good", "good", "any", "any", "deep", "garbage"]))
        if kind == "good":
            rec = draw(good_records(i))
            out.append((kind, json.dumps(rec, ensure_ascii=draw(st.booleans())), rec))
        elif kind == "any":
            rec = draw(st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), JSON_VALUES, max_size=8)))
            out.append((kind, json.dumps(rec), rec))
        elif kind == "deep":
            out.append((kind, _deep_line(draw(st.integers(MAX_JSON_DEPTH, 3000) | st.just(100_000))), None))
        else:
            out.append((kind, draw(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=30)), None))
    return out


def _no_clash(lines: list[tuple[str, str, dict | None]]) -> bool:
    """No arbitrary record takes a good record's id (which would make the good one a duplicate)."""
    for kind, _, rec in lines:
        if kind == "any" and isinstance(rec, dict) and isinstance(rec.get("id"), str) and rec["id"].strip().startswith("g"):
            return False
    return True


def check_outcomes(
    kinds: dict[int, tuple[str, dict | None]], arts: list[Article], probs: list[Problem], line_of: Callable[[Article], int]
) -> None:
    """Per record: one Article or one record Problem; field Problems only beside an Article; good ones unchanged."""
    for a in arts:
        assert_safe(a)
    for p in probs:
        assert_problem_writable(p)
        assert p.reason != "unreadable_record", p
    arts_at: dict[int, list[Article]] = {}
    for a in arts:
        arts_at.setdefault(line_of(a), []).append(a)
    record_probs: dict[int | None, list[Problem]] = {}
    field_probs: dict[int | None, list[Problem]] = {}
    for p in probs:
        (field_probs if p.reason in FIELD_REASONS else record_probs).setdefault(p.line, []).append(p)
    assert set(arts_at) | set(record_probs) | set(field_probs) <= set(kinds)
    for n, (kind, rec) in kinds.items():
        got, bad, fields = arts_at.get(n, []), record_probs.get(n, []), field_probs.get(n, [])
        if kind == "blank":
            assert not (got or bad or fields), n
            continue
        assert len(got) + len(bad) == 1, (n, kind, got, bad)
        if fields:
            assert got and len({p.reason for p in fields}) == len(fields), (n, fields)
        if kind == "good":
            assert not bad and not fields, (n, bad, fields)
            assert _fields(got[0]) == _expect(rec), n
        if kind == "deep":
            assert [p.reason for p in bad] == ["too_deep"], n
        if kind == "any" and isinstance(rec, dict) and got:
            a = got[0]
            reasons_here = {p.reason for p in fields}
            for name in ("title", "url", "source", "lang"):
                value = rec.get(name)
                if value is not None and not isinstance(value, str):
                    assert f"bad_{name}" in reasons_here, (n, name, value)
                    if name != "source":
                        assert getattr(a, name) is None
            if rec.get("published") is not None and a.published is None:
                assert "bad_published" in reasons_here or not str(rec["published"]).strip(), n
            rid = rec.get("id")
            assert not isinstance(rid, (bool, float, list, dict)), (n, rid)
            if isinstance(rid, int):
                assert a.id == str(rid)
        if kind == "any" and isinstance(rec, dict) and bad and bad[0].reason == "bad_id":
            assert isinstance(rec.get("id"), (str, bool, float, list, dict, int)), n


@PROPERTY
@given(jsonl_lines())
def test_property_jsonl_records_of_any_shape(lines: list[tuple[str, str, dict | None]]) -> None:
    assume(_no_clash(lines))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.jsonl"
        path.write_text("\n".join(line for _, line, _ in lines) + "\n", encoding="utf-8")
        arts, probs = read_articles([path])
    kinds = {n: ("blank" if not line.encode().strip() else kind, rec) for n, (kind, line, rec) in enumerate(lines, 1)}
    check_outcomes(kinds, arts, probs, lambda a: int(a.where.rsplit(":", 1)[1]))


@PROPERTY
@given(st.lists(st.one_of(good_records(0), st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=7)), min_size=1, max_size=6))
def test_property_json_files_of_any_shape(records: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as d:
        for i, rec in enumerate(records):
            (Path(d) / f"r{i:02d}.json").write_text(json.dumps(rec), encoding="utf-8")
        arts, probs = read_articles([Path(d)])
    for a in arts:
        assert_safe(a)
    names = [f"r{i:02d}" for i in range(len(records))]
    got = {a.id: a for a in arts}
    bad = [Path(p.path).stem for p in probs if p.reason not in FIELD_REASONS]
    assert sorted(list(got) + bad) == names  # each file: one article or one problem
    for i, rec in enumerate(records):
        if str(rec.get("id", "")).startswith("g0-"):
            assert _fields(got[names[i]]) == _expect(rec)


CSV_COLS = list(FIELDS)
CSV_ANY = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=20)


def _csv_row(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def _good_csv_values(rec: dict) -> list[str]:
    return [str(rec.get(c, "")) for c in CSV_COLS]


@PROPERTY
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 10**6)), min_size=1, max_size=10), st.data())
def test_property_csv_rows_of_any_strings(plan: list[tuple[bool, int]], data: st.DataObject) -> None:
    rows: list[tuple[str, dict | None, str]] = []
    for i, (good, _) in enumerate(plan):
        if good:
            rec = data.draw(good_records(i))
            rows.append(("good", rec, _csv_row(_good_csv_values(rec))))
        else:
            values = data.draw(st.lists(CSV_ANY, min_size=len(CSV_COLS), max_size=len(CSV_COLS)))
            assume(not values[0].strip().startswith("g"))
            rows.append(("blank" if all(not v.strip() for v in values) else "any", None, _csv_row(values)))
    content, kinds, line = ",".join(CSV_COLS) + "\n", {}, 2
    for kind, rec, text in rows:
        kinds[line] = (kind, rec)
        content += text
        line += text.count("\n")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.csv"
        path.write_text(content, encoding="utf-8")
        arts, probs = read_articles([path])
    check_outcomes(kinds, arts, probs, lambda a: int(a.where.rsplit(":", 1)[1]))


@PROPERTY
@given(st.lists(st.booleans(), min_size=1, max_size=10), st.data())
def test_property_csv_runaway_quotes_cost_only_their_row(plan: list[bool], data: st.DataObject) -> None:
    content, kinds, line = ",".join(CSV_COLS) + "\n", {}, 2
    for i, good in enumerate(plan):
        if good:
            rec = data.draw(good_records(i))
            text = _csv_row(_good_csv_values(rec))
            kinds[line] = ("good", rec)
        else:
            text = f'bad{i},"unterminated ' + data.draw(st.text(st.characters(whitelist_categories=("L", "Zs")), max_size=10)) + "\n"
            kinds[line] = ("broken", None)
        content += text
        line += text.count("\n")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.csv"
        path.write_text(content, encoding="utf-8")
        arts, probs = read_articles([path])
    got = {int(a.where.rsplit(":", 1)[1]): a for a in arts}
    for n, (kind, rec) in kinds.items():
        if kind == "good":
            assert _fields(got[n]) == _expect(rec), n
        else:
            assert n not in got and [p.reason for p in probs if p.line == n] == ["broken_csv"], n
    assert {p.line for p in probs} == {n for n, (k, _) in kinds.items() if k == "broken"}
