"""One input record (a file, a JSON object, a CSV or Parquet row) to an Article.

All formats funnel through :func:`make_article`, so every format gets the same
validation, the same date handling and the same Problem reasons.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from retold.ingest.dates import parse_published, split_date_marker
from retold.ingest.decode import InputError, fix_text
from retold.ingest.html import extract_html
from retold.model import Article

log = logging.getLogger("retold.ingest")

#: Longest article text kept, in characters (about 1,000 pages); longer is not an article.
MAX_TEXT_CHARS = 5_000_000


class RecordError(InputError):
    """A record that cannot become an article."""


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def host_of(url: str | None) -> str | None:
    """The URL's host without ``www.``: the default ``source`` of an article."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")


def normalise_lang(value: object) -> str | None:
    """``"en-US"``, ``"EN_gb"`` -> ``"en"``: the ISO 639-1 code the rest of retold uses."""
    s = _opt_str(value)
    if s is None:
        return None
    return s.replace("_", "-").split("-", 1)[0].lower() or None


def make_article(record: Mapping[str, object], where: str, default_id: str | None = None) -> Article:
    """Validate one record and build its Article, or raise :class:`RecordError`.

    ``text`` wins over ``html`` when both are given. A bad ``published`` value does not
    cost the article: it is logged and left empty.
    """
    rid = _opt_str(record.get("id")) or default_id
    if rid is None:
        raise RecordError("missing_id", "record has no 'id'")
    url = _opt_str(record.get("url"))
    title = _opt_str(record.get("title"))
    text = record.get("text")
    html_date: str | None = None
    sitename: str | None = None
    if isinstance(text, str) and text.strip():
        text = fix_text(text)
    else:
        html = record.get("html")
        if not isinstance(html, str) or not html.strip():
            if text is None and html is None:
                raise RecordError("missing_text", f"record {rid!r} has neither 'text' nor 'html'")
            for name, value in (("text", text), ("html", html)):
                if value is not None and not isinstance(value, str):
                    raise RecordError("missing_text", f"record {rid!r}: '{name}' is a {type(value).__name__}, not a string")
            raise RecordError("empty_text", f"record {rid!r} has an empty text")
        if len(html) > 4 * MAX_TEXT_CHARS:
            raise RecordError("text_too_long", f"record {rid!r} has {len(html):,} characters of HTML")
        ext = extract_html(fix_text(html), url)
        if ext is None:
            raise RecordError("empty_text", f"record {rid!r}: no main text found in its HTML")
        text, title, url = ext.text, title or ext.title, url or ext.url
        html_date, sitename = ext.date, ext.sitename
    if len(text) > MAX_TEXT_CHARS:
        raise RecordError("text_too_long", f"record {rid!r} has {len(text):,} characters (limit {MAX_TEXT_CHARS:,})")
    marker_date, text = split_date_marker(text)
    if not text.strip():
        raise RecordError("empty_text", f"record {rid!r} has an empty text")
    published = None
    for value in (record.get("published"), html_date):
        try:
            published = parse_published(value)
        except ValueError as e:
            log.warning("%s: %s; left empty", where, e)
        if published is not None:
            break
    if published is None:
        published = marker_date
    source = _opt_str(record.get("source")) or host_of(url) or sitename
    return Article(
        id=rid,
        text=text,
        title=title,
        url=url,
        source=source,
        published=published,
        lang=normalise_lang(record.get("lang")),
        where=where,
    )
