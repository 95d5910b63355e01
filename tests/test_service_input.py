"""Request bodies follow the ingest's rules: a bad record or field costs only itself, and
nothing but :class:`~retold.service.BodyError` (for a body that cannot be read at all) escapes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_ingest_hardening import (
    FIELDS,
    JSON_VALUES,
    PROPERTY,
    _deep_line,
    _no_clash,
    assert_problem_writable,
    assert_safe,
    check_outcomes,
    good_records,
    jsonl_lines,
)

from retold.ingest.jsontext import MAX_JSON_DEPTH
from retold.model import Problem
from retold.service import MAX_ARTICLES, BodyError, parse_articles

NDJSON = "application/x-ndjson"
DEEP = "[" * 100_000 + "]" * 100_000


def lines_of(probs: list[Problem]) -> list[tuple[int | None, str]]:
    return [(p.line, p.reason) for p in probs]


def test_deep_nesting_costs_its_record_in_every_body_form() -> None:
    good = json.dumps({"id": "a", "text": "Fine."})
    deep_obj = '{"id": "d", "text": "Deep.", "x": ' + DEEP + "}"
    arts, probs = parse_articles(deep_obj.encode(), "application/json")
    assert arts == [] and lines_of(probs) == [(1, "too_deep")]
    arts, probs = parse_articles(f'[{good}, {DEEP}, {deep_obj}, {{"id": "c", "text": "After."}}]'.encode(), "application/json")
    assert [a.id for a in arts] == ["a", "c"] and lines_of(probs) == [(2, "too_deep"), (3, "too_deep")]
    for content_type in (NDJSON, "application/json", ""):
        body = "\n".join([good, DEEP, deep_obj, json.dumps({"id": "c", "text": "After."})])
        arts, probs = parse_articles(body.encode(), content_type)
        assert [a.id for a in arts] == ["a", "c"], content_type
        assert lines_of(probs) == [(2, "too_deep"), (3, "too_deep")], content_type
    bound = '{"id": "b", "text": "t", "x": ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "}"
    assert lines_of(parse_articles(bound.encode())[1]) == [(1, "too_deep")]
    assert lines_of(parse_articles(f"[{bound}]".encode())[1]) == [(1, "too_deep")]
    pretty = json.dumps({"id": "p", "text": "Pretty.", "x": [[1]]}, indent=2)  # one object over lines: not JSON lines
    arts, probs = parse_articles(pretty.encode(), "application/json")
    assert [a.id for a in arts] == ["p"] and probs == []


def test_lone_surrogates_become_replacement_characters() -> None:
    body = '[{"id": "s", "text": "A lone \\ud800 here.", "title": "\\udc00T"}, {"id": "p", "text": "Pair \\ud83d\\ude00."}]'
    arts, probs = parse_articles(body.encode())
    assert probs == []
    assert [(a.text, a.title) for a in arts] == [("A lone \ufffd here.", "\ufffdT"), ("Pair \U0001f600.", None)]
    arts, probs = parse_articles(b'{"id": "x\\ud800", "text": "Surrogate in the id."}')
    assert arts == [] and lines_of(probs) == [(1, "bad_id")]


def test_field_types_follow_the_ingest_rule() -> None:
    recs = [
        {"id": 7, "text": "Integer id."},
        {"id": True, "text": "Bool id."},
        {"id": [1], "text": "List id."},
        {"text": "No id."},
        {"id": "t", "text": {"a": 1}},
        {"id": "f", "text": "Bad fields.", "title": 1, "url": False, "source": [], "lang": "12", "published": 1e300},
    ]
    arts, probs = parse_articles(json.dumps(recs).encode())
    assert [a.id for a in arts] == ["7", "f"]
    assert lines_of(probs) == [
        (2, "bad_id"), (3, "bad_id"), (4, "missing_id"), (5, "missing_text"),
        (6, "bad_url"), (6, "bad_title"), (6, "bad_published"), (6, "bad_source"), (6, "bad_lang"),
    ]
    f = arts[1]
    assert (f.title, f.url, f.source, f.lang, f.published) == (None, None, None, None, None)


def test_endless_numbers_cost_their_record() -> None:
    big = "1" * 5000
    arts, probs = parse_articles(f'[{{"id": "n", "text": "t", "x": {big}}}, {{"id": "ok", "text": "Fine."}}]'.encode())
    assert [a.id for a in arts] == ["ok"] and lines_of(probs) == [(1, "broken_json")]
    arts, probs = parse_articles(f'{{"id": "ok", "text": "Fine."}}\n{{"x": {big}}}'.encode(), NDJSON)
    assert [a.id for a in arts] == ["ok"] and lines_of(probs) == [(2, "broken_json")]
    arts, probs = parse_articles(f'{{"id": "n", "text": "t", "published": {big}}}'.encode())
    assert [a.id for a in arts] == [] and lines_of(probs) == [(1, "broken_json")]
    arts, probs = parse_articles(b'{"id": "e", "text": "Epoch.", "published": 99999999999999999999}')
    assert [a.id for a in arts] == ["e"] and lines_of(probs) == [(1, "bad_published")]


def test_line_separators_inside_json_strings_do_not_split_lines() -> None:
    body = json.dumps({"id": "a", "text": "One\u2028two\x85three\u2029four"}, ensure_ascii=False) + "\n" + json.dumps({"id": "b", "text": "Next."})
    arts, probs = parse_articles(body.encode(), NDJSON)
    assert probs == [] and [a.id for a in arts] == ["a", "b"]
    assert arts[0].text == "One\u2028two\x85three\u2029four"


def test_only_an_unreadable_body_raises_body_error() -> None:
    for body, content_type in [
        (b"\xff\xfe\x00", ""),
        (b'[{"id": "x"', "application/json"),
        (b"[1, 2,, 3]", "application/json"),
        (f'[{{"id": "a", "text": "t"}}, {DEEP}, {{"id":'.encode(), "application/json"),  # broken after a deep item
        (b'{"id": "x", "text": "t"} trailing', "application/json"),
        (json.dumps([{"id": str(i), "text": "t"} for i in range(MAX_ARTICLES + 1)]).encode(), "application/json"),
    ]:
        with pytest.raises(BodyError):
            parse_articles(body, content_type)
    assert parse_articles(b"", "") == ([], [])
    assert parse_articles(b"   \n  ", NDJSON) == ([], [])


# --- properties ------------------------------------------------------------------------


@st.composite
def array_items(draw: st.DrawFn) -> list[tuple[str, str, dict | None]]:
    out = []
    for i in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["good", "good", "any", "any", "deep"]))
        if kind == "good":
            rec = draw(good_records(i))
            out.append((kind, json.dumps(rec, ensure_ascii=draw(st.booleans())), rec))
        elif kind == "any":
            rec = draw(st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), JSON_VALUES, max_size=8)))
            out.append((kind, json.dumps(rec), rec))
        else:
            n = draw(st.integers(MAX_JSON_DEPTH, 3000) | st.just(100_000))
            out.append((kind, draw(st.sampled_from([_deep_line(n), "[" * (n + 1) + "]" * (n + 1)])), None))
    return out


@PROPERTY
@given(array_items(), st.sampled_from(["application/json", ""]))
def test_property_array_bodies_of_any_records(items: list[tuple[str, str, dict | None]], content_type: str) -> None:
    if not _no_clash(items):
        return
    arts, probs = parse_articles(("[" + ", ".join(text for _, text, _ in items) + "]").encode(), content_type)
    kinds = {n: (kind, rec) for n, (kind, _, rec) in enumerate(items, 1)}
    check_outcomes(kinds, arts, probs, lambda a: int(a.where.rsplit(":", 1)[1]))


@PROPERTY
@given(jsonl_lines())
def test_property_json_lines_bodies_of_any_records(lines: list[tuple[str, str, dict | None]]) -> None:
    if not _no_clash(lines):
        return
    arts, probs = parse_articles("\n".join(line for _, line, _ in lines).encode(), NDJSON)
    kinds = {n: ("blank" if not line.strip() else kind, rec) for n, (kind, line, rec) in enumerate(lines, 1)}
    check_outcomes(kinds, arts, probs, lambda a: int(a.where.rsplit(":", 1)[1]))


@PROPERTY
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))), st.sampled_from([NDJSON, "application/json", ""]))
def test_property_any_bytes_give_articles_problems_or_body_error(body: bytes, content_type: str) -> None:
    try:
        arts, probs = parse_articles(body, content_type)
    except BodyError:
        return
    for a in arts:
        assert_safe(a)
    for p in probs:
        assert_problem_writable(p)
        assert p.reason != "unreadable_record"
