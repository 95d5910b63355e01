"""Request bodies: a JSON object, a JSON array or JSON lines, read by the ingest's rules."""

from __future__ import annotations

from pathlib import Path

from retold.ingest.formats import items_from_record
from retold.ingest.jsontext import MAX_JSON_DEPTH, JsonError, array_items
from retold.ingest.jsontext import loads as loads_json
from retold.model import Article, Problem

#: Largest request body accepted, in bytes.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Most articles accepted in one request: a bigger batch belongs to ``retold scan --index``.
MAX_ARTICLES = 10_000
#: Where problems in a request body say they are.
REQUEST = "request"


class BodyError(ValueError):
    """A request body that cannot be read at all (as opposed to one bad record in it)."""


class TooManyArticles(BodyError):
    """A request body of more records than a request may hold (HTTP 413)."""


def _body_lines(text: str) -> list[tuple[int, object]]:
    """(line number, value or JsonError) per non-blank line of a JSON-lines body.

    Lines end at ``\n`` only: JSON strings may hold U+2028 and the other characters
    ``str.splitlines`` also breaks at.
    """
    out: list[tuple[int, object]] = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            out.append((n, loads_json(line)))
        except JsonError as e:
            out.append((n, e))
    return out


def _starts_a_line_of_json(text: str) -> bool:
    """Whether the body's first line is a JSON value by itself (so the body is JSON lines)."""
    try:
        loads_json(text.lstrip().split("\n", 1)[0])
    except JsonError as e:
        return not e.syntax
    return True


def parse_articles(
    body: bytes, content_type: str = "", max_articles: int = MAX_ARTICLES
) -> tuple[list[Article], list[Problem]]:
    """The articles in a request body, and a Problem for each record that is not one.

    A JSON object is one article, a JSON array a list of them; anything else (or a content
    type naming JSON lines) is read as one JSON object per line, where a broken line costs
    only itself. Problems name the line (JSON lines) or the item number (arrays), from 1.
    Records follow the ingest's rules (:mod:`retold.ingest.records`): a record nested too
    deep, or with a bad id or text, is a Problem; a bad optional field costs only itself.
    Only a body that cannot be read at all raises, and only :class:`BodyError` (also for
    more than ``max_articles`` records).
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BodyError(f"the body is not UTF-8 (byte {e.start})") from None
    lines_type = any(k in content_type for k in ("ndjson", "jsonl", "json-seq", "x-json-lines"))
    head = text.lstrip()[:1]
    records: list[tuple[int, object]] = []
    if not lines_type and head in ("[", "{"):
        try:
            data = loads_json(text, MAX_JSON_DEPTH + (head == "["))
        except JsonError as e:
            if head == "[":  # one item too deep, or with an endless number: read the items one by one
                try:
                    records = list(array_items(text))
                except JsonError as e2:
                    raise BodyError(e2.detail) from None
            elif "\n" in text.strip() and (e.syntax or _starts_a_line_of_json(text)):
                lines_type = True  # JSON lines sent as application/json
            elif e.syntax:
                raise BodyError(f"{e.detail}, at line {e.lineno} of the body") from None
            else:
                records = [(1, e)]  # one object, too deep: a bad record, not a bad body
        else:
            records = list(enumerate(data, 1)) if isinstance(data, list) else [(1, data)]
    if lines_type or (not records and head not in ("[", "{", "")):
        records = _body_lines(text)
    if len(records) > max_articles:
        raise TooManyArticles(f"{len(records):,} records in one request; at most {max_articles:,} (use `retold scan --index` for bulk)")
    articles: list[Article] = []
    problems: list[Problem] = []
    for n, rec in records:  # the same checks and problems as a JSONL file's records
        if isinstance(rec, JsonError):
            problems.append(Problem(REQUEST, n, rec.reason, rec.detail))
            continue
        for item in items_from_record(rec, Path(REQUEST), n, None):
            (problems if isinstance(item, Problem) else articles).append(item)  # type: ignore[arg-type]
    return articles, problems
