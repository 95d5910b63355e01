"""The HTML report: one self-contained file a person opens offline to read a scan's findings.

The page is a small single-page app (vanilla JS + CSS from ``retold/show/assets``) over data
embedded as compact JSON. Texts are stored once each (copies share them), records are arrays
rather than objects, and the browser only builds the part of the DOM that is on screen, so a
report over 10k articles stays a few megabytes and opens in well under a second.

Offsets in retold are Python code-point offsets into ``Article.text``; JavaScript indexes
strings in UTF-16 code units, so offsets are converted here for texts outside the BMP.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from retold.model import RELATIONS, Group, Pair, ScanResult

#: Passage kinds in the order the page's legend shows them; the JSON stores their index.
PASSAGE_KINDS: tuple[str, ...] = ("verbatim", "paraphrase", "translation")
#: Bumped whenever the embedded JSON layout changes, so the page can refuse stale data.
DATA_VERSION = 1

_DIRECTIONS = {None: 0, "a->b": 1, "b->a": 2}
#: Pair.basis: compared, or implied by a story / a storyline / a pivot translation (retold.group.implied)
_BASES = {"compared": 0, "story": 1, "storyline": 2, "pivot": 3}


def _asset(name: str) -> str:
    return resources.files("retold.show").joinpath("assets", name).read_text(encoding="utf-8")


def _utf16_offsets(text: str) -> list[int] | None:
    """Code-point index -> UTF-16 index, or None when they coincide (the common case)."""
    if all(ord(c) <= 0xFFFF for c in text):
        return None
    table = [0] * (len(text) + 1)
    u = 0
    for i, c in enumerate(text):
        table[i] = u
        u += 2 if ord(c) > 0xFFFF else 1
    table[len(text)] = u
    return table


def _conv(offset: object, n: int, table: list[int] | None) -> int:
    """Clamp an offset into the text (bad offsets must not break the page) and convert it."""
    try:
        o = int(offset)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        o = 0
    o = min(max(o, 0), n)
    return table[o] if table is not None else o


def _text(value: object) -> str | None:
    if value is None:
        return None
    s = str(value)
    return s if s else None


def build_data(
    articles: Sequence[dict], pairs: Iterable[Pair], groups: Iterable[Group], title: str = "retold report"
) -> dict:
    """The compact structure embedded in the page (layout documented in ``assets/report.js``).

    Public so tests and other tools can check exactly what the page receives.
    """
    texts: list[str] = []
    text_ix: dict[str, int] = {}
    tables: list[list[int] | None] = []
    arts: list[list] = []
    art_ix: dict[str, int] = {}
    art_len: list[int] = []

    def add_text(t: str) -> int:
        k = text_ix.get(t)
        if k is None:
            k = text_ix[t] = len(texts)
            texts.append(t)
            tables.append(_utf16_offsets(t))
        return k

    def add_article(rec: dict) -> int:
        aid = str(rec["id"])
        if aid in art_ix:
            return art_ix[aid]
        text = rec.get("text") or ""
        ti = add_text(text)
        table = tables[ti]
        boiler: list[int] = []
        for span in rec.get("boilerplate") or []:
            s, e = _conv(span[0], len(text), table), _conv(span[1], len(text), table)
            if e > s:
                boiler += [s, e]
        published = rec.get("published")
        if published is not None and not isinstance(published, str):
            published = published.isoformat()
        art_ix[aid] = len(arts)
        arts.append(
            [
                aid,
                _text(rec.get("title")),
                _text(rec.get("url")),
                _text(rec.get("source")),
                published or None,
                _text(rec.get("lang")),
                ti,
                boiler,
            ]
        )
        art_len.append(len(text))
        return art_ix[aid]

    for rec in articles:
        add_article(rec)

    def ix(aid: str) -> int:
        # Pairs or groups may name an article the records lack (e.g. an index pruned
        # later): show it as an empty stub rather than fail the whole report.
        return art_ix[aid] if aid in art_ix else add_article({"id": aid})

    rel_ix = {r: i for i, r in enumerate(RELATIONS)}
    relations = list(RELATIONS)
    kind_ix = {k: i for i, k in enumerate(PASSAGE_KINDS)}
    out_pairs: list[list] = []
    for p in pairs:
        if p.relation not in rel_ix:
            rel_ix[p.relation] = len(relations)
            relations.append(p.relation)
        ai, bi = ix(p.a), ix(p.b)
        ta, tb = tables[arts[ai][6]], tables[arts[bi][6]]
        na, nb = art_len[ai], art_len[bi]
        flat: list[int] = []
        for q in p.passages:
            flat += [
                _conv(q.a_start, na, ta),
                _conv(q.a_end, na, ta),
                _conv(q.b_start, nb, tb),
                _conv(q.b_end, nb, tb),
                kind_ix.get(q.kind, 1),
                int(round(float(q.similarity) * 100)),
            ]
        out_pairs.append(
            [
                ai,
                bi,
                rel_ix[p.relation],
                round(float(p.score), 3),
                round(float(p.coverage_a), 3),
                round(float(p.coverage_b), 3),
                _DIRECTIONS.get(p.direction, 0),
                flat,
                _BASES.get(p.basis, 0),
                rel_ix[p.decided] if p.decided in rel_ix else -1,
            ]
        )

    out_groups: list[list] = []
    for g in groups:
        members = [ix(m) for m in g.members]
        origin = ix(g.origin) if g.origin is not None else -1
        out_groups.append([0 if g.kind == "family" else 1, str(g.id), members, origin])

    return {
        "v": DATA_VERSION,
        "title": title,
        "R": relations,
        "K": list(PASSAGE_KINDS),
        "T": texts,
        "A": arts,
        "P": out_pairs,
        "G": out_groups,
    }


def _script_json(data: dict) -> str:
    """JSON that cannot end its ``<script>`` element early, whatever the texts contain.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where their ``\\u`` escapes mean
    the same characters, so the browser's HTML parser never sees ``</script>`` or ``<!--``.
    """
    s = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        s.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_report(
    articles: list[dict], pairs: list[Pair], groups: list[Group], title: str = "retold report"
) -> str:
    """The report as one HTML string that needs nothing but a browser (no network, no server)."""
    data = build_data(articles, pairs, groups, title=title)
    page = _asset("report.html")
    # Replace the data placeholder last: texts may contain the other placeholders' names.
    return (
        page.replace("{{TITLE}}", html.escape(title))
        .replace("/*{{CSS}}*/", _asset("report.css"))
        .replace("/*{{JS}}*/", _asset("report.js"))
        .replace("{{DATA}}", _script_json(data))
    )


def records_from_result(result: ScanResult) -> list[dict]:
    """Article records of the output contract, made from a scan's Docs (as articles.jsonl holds them)."""
    from retold.show.jsonl import article_records

    return list(article_records(result))


def _write(page: str, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    # 'replace' only touches lone surrogates (one code point each), so offsets stay right.
    tmp.write_bytes(page.encode("utf-8", errors="replace"))
    tmp.replace(out)
    return out


def write_report(result: ScanResult, path: str | Path, title: str = "retold report") -> Path:
    """Write the report of a scan held in memory."""
    return _write(render_report(records_from_result(result), result.pairs, result.groups, title=title), path)


def _locate_bad_line(path: Path, required: Sequence[str]) -> str | None:
    """Find the first unreadable record of a JSONL file, as 'path:line: why'."""
    if not path.exists():
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                return f"{path}:{n}: not valid JSON ({e.msg})"
            if not isinstance(rec, dict):
                return f"{path}:{n}: expected a JSON object"
            missing = [k for k in required if k not in rec]
            if missing:
                return f"{path}:{n}: missing field(s) {', '.join(missing)}"
    return None


def write_report_from_dir(out_dir: str | Path, path: str | Path | None = None, title: str | None = None) -> Path:
    """Write the report of a scan's output folder (``retold scan --out DIR``); default DIR/report.html."""
    from retold.show.jsonl import read_outputs

    d = Path(out_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"{d}: no such folder (expected the output folder of `retold scan`)")
    if not (d / "articles.jsonl").exists():
        raise FileNotFoundError(f"{d / 'articles.jsonl'}: missing; is {d} the output folder of `retold scan`?")
    try:
        articles, pairs, groups = read_outputs(d)
    except (ValueError, KeyError, TypeError) as e:
        checks = (
            ("articles.jsonl", ("id",)),
            ("pairs.jsonl", ("a", "b", "relation", "score", "coverage_a", "coverage_b")),
            ("groups.jsonl", ("kind", "id", "members")),
        )
        for name, req in checks:
            where = _locate_bad_line(d / name, req)
            if where:
                raise ValueError(where) from e
        raise ValueError(f"{d}: could not read the scan output: {e}") from e
    for n, rec in enumerate(articles, 1):
        if not isinstance(rec, dict) or "id" not in rec:
            raise ValueError(f"{d / 'articles.jsonl'}:{n}: missing field id")
    page = render_report(articles, pairs, groups, title=title or f"retold report: {d.resolve().name}")
    return _write(page, path if path is not None else d / "report.html")


__all__ = ["render_report", "write_report", "write_report_from_dir", "build_data", "records_from_result"]
