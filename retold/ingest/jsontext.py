"""JSON text to records, with every way that can fail turned into an :class:`InputError`.

``json.loads`` raises more than ``JSONDecodeError``: ``RecursionError`` on deep nesting
(a hundred thousand ``[`` fit on one line), ``ValueError`` on an integer of more than
4,300 digits. A record is also refused when it nests deeper than ``MAX_JSON_DEPTH``
levels, a bound that does not depend on how deep the caller's own stack happens to be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from retold.ingest.decode import InputError

#: Deepest nesting of one record (the record object itself is level 1).
MAX_JSON_DEPTH = 100

_WS = re.compile(r"[ \t\n\r]*")
#: A whole JSON string, a run of opening or of closing brackets, or a comma.
_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[{]++|[\]}]++|,')


class JsonError(InputError):
    """JSON that cannot be a record. ``syntax``: not JSON at all (rather than valid JSON
    that is too deep or holds an endless number); ``lineno``: where, for a syntax error."""

    def __init__(self, reason: str, detail: str, lineno: int | None = None, syntax: bool = False) -> None:
        super().__init__(reason, detail)
        self.lineno = lineno
        self.syntax = syntax


def _why(e: ValueError) -> str:
    return str(e).split(":", 1)[0][:100]  # "Exceeds the limit (4300 digits) for integer string conversion"


def _too_deep() -> JsonError:
    return JsonError("too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels; skipped")


def deeper_than(value: object, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` levels (without recursion)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if d > limit:
            return True
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return False


def loads(text: str, limit: int = MAX_JSON_DEPTH) -> object:
    """``json.loads(text)``, or :class:`JsonError` (``broken_json`` or ``too_deep``)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise JsonError("broken_json", f"not valid JSON: {e.msg} (column {e.colno})", e.lineno, syntax=True) from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError as e:  # an integer longer than Python converts
        raise JsonError("broken_json", f"not valid JSON: {_why(e)}") from None
    if deeper_than(value, limit):
        raise _too_deep()
    return value


def _value_end(text: str, pos: int) -> int:
    """Where the JSON value starting at ``pos`` ends, found by its brackets alone."""
    depth = 0
    for m in _TOKENS.finditer(text, pos):
        tok = m.group()
        c = tok[0]
        if c == '"':
            if depth == 0:
                return m.end()
        elif c in "[{":
            depth += len(tok)
        elif c in "]}":
            if depth == 0:
                return m.start()
            if len(tok) >= depth:
                return m.start() + depth
            depth -= len(tok)
        elif depth == 0:  # a comma after a scalar
            return m.start()
    if depth:
        raise JsonError("broken_json", "not valid JSON: brackets are not closed")
    return len(text)


def array_items(text: str, limit: int = MAX_JSON_DEPTH) -> Iterator[tuple[int, object]]:
    """(item number from 1, value or :class:`JsonError`) for each item of a JSON array.

    For an array that cannot be parsed whole (an item too deep, or with an endless
    number): each item is parsed on its own, so one bad item costs only itself. A
    syntax error outside the items raises :class:`JsonError`.
    """
    dec = json.JSONDecoder()
    pos = _WS.match(text).end()
    if not text.startswith("[", pos):
        raise JsonError("broken_json", "not valid JSON: expected an array")
    pos = _WS.match(text, pos + 1).end()
    if text.startswith("]", pos):
        pos = _WS.match(text, pos + 1).end()
        if pos != len(text):
            raise JsonError("broken_json", f"not valid JSON: extra data at character {pos}")
        return
    n = 0
    while True:
        n += 1
        item: object
        try:
            item, end = dec.raw_decode(text, pos)
            if deeper_than(item, limit):
                item = _too_deep()
        except json.JSONDecodeError as e:
            raise JsonError("broken_json", f"not valid JSON: {e.msg} (item {n}, line {e.lineno}, column {e.colno})", e.lineno, True) from None
        except RecursionError:
            item, end = _too_deep(), _value_end(text, pos)
        except ValueError as e:
            item, end = JsonError("broken_json", f"not valid JSON: {_why(e)}"), _value_end(text, pos)
        yield n, item
        pos = _WS.match(text, end).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
            continue
        if text.startswith("]", pos):
            pos = _WS.match(text, pos + 1).end()
            if pos != len(text):
                raise JsonError("broken_json", f"not valid JSON: extra data at character {pos}")
            return
        raise JsonError("broken_json", f"not valid JSON: expected ',' or ']' after item {n} (character {pos})")
