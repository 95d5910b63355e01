"""One input record (a file, a JSON object, a CSV or Parquet row) to an Article.

All formats funnel through :func:`make_article`, so every format gets the same
validation, the same date handling and the same Problem reasons.

The rule for field values, whatever the format:

- ``null`` (or a missing key) is an absent field, and so is a string that is empty
  once stripped.
- ``id`` is a string, or an integer (``123`` becomes ``"123"``). A bool, a float, a
  list, an object; a string with a control character, a line break or a lone
  surrogate; or one longer than ``MAX_ID_CHARS``: the record is skipped (``bad_id``).
- ``text`` and ``html`` are strings; anything else skips the record (``missing_text``).
  Lone surrogates in them become U+FFFD, one code point for one, so every text can
  be written as UTF-8 and offsets into it are not shifted.
- ``title``, ``url``, ``source``, ``lang`` are strings, ``published`` an ISO or RFC 2822
  date string or epoch seconds, in the years ``MIN_YEAR``..``MAX_YEAR`` of
  :mod:`retold.ingest.dates`. A value of another type, or a bad value (a ``url`` with
  control characters, a ``lang`` that is no language tag, a string over
  ``MAX_FIELD_CHARS``), costs only that field: the article is kept without it and a
  ``bad_<field>`` problem (``bad_published``, ``bad_title``...) names it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

from retold.ingest.dates import parse_published, split_date_marker
from retold.ingest.decode import InputError, fix_text, replace_surrogates
from retold.ingest.decode import show_value as _show
from retold.ingest.html import extract_html
from retold.model import Article

log = logging.getLogger("retold.ingest")

#: Longest article text kept, in characters (about 1,000 pages); longer is not an article.
MAX_TEXT_CHARS = 5_000_000
#: Longest id, in characters (a long URL used as an id fits).
MAX_ID_CHARS = 2048
#: Longest title, url or source, in characters.
MAX_FIELD_CHARS = 10_000

#: Control characters (C0, DEL, C1), line and paragraph separators, surrogates.
_BAD_ID_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: A language tag's primary subtag (BCP 47): 2 to 8 letters.
_LANG = re.compile(r"[a-z]{2,8}")


class RecordError(InputError):
    """A record that cannot become an article."""


class FieldError(InputError):
    """One optional field that cannot be used; the article is kept without it."""


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


def _type_error(name: str, value: object, expected: str) -> str:
    return f"{name} is {_show(value)}, expected {expected}"


def record_id(value: object, default_id: str | None) -> str:
    """The id a record's ``id`` value gives (see the module's rule), or :class:`RecordError`."""
    if value is None:
        rid = None
    elif isinstance(value, str):
        rid = value.strip() or None
    elif isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 4 * MAX_ID_CHARS:  # str() of it would be slow, and absurd
            raise RecordError("bad_id", f"id is {_show(value)} (at most {MAX_ID_CHARS:,} characters); skipped")
        rid = str(value)
    else:
        raise RecordError("bad_id", _type_error("id", value, "a string or an integer") + "; skipped")
    if rid is None:
        rid = default_id
    if rid is None:
        raise RecordError("missing_id", "record has no 'id'")
    if len(rid) > MAX_ID_CHARS:
        raise RecordError("bad_id", f"id of {len(rid):,} characters (at most {MAX_ID_CHARS:,}); skipped")
    if _BAD_ID_CHARS.search(rid):
        raise RecordError("bad_id", f"id {_show(rid)} holds a control character, line break or lone surrogate; skipped")
    return rid


def _text_field(name: str, value: object) -> str | None:
    """A title or source: any string (stripped, surrogates replaced), or :class:`FieldError`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(f"bad_{name}", _type_error(name, value, "a string") + "; left empty")
    if len(value) > MAX_FIELD_CHARS:
        raise FieldError(f"bad_{name}", f"{name} of {len(value):,} characters (at most {MAX_FIELD_CHARS:,}); left empty")
    return replace_surrogates(value).strip() or None


def _url_field(value: object) -> str | None:
    url = _text_field("url", value)
    if url is not None and _CONTROL.search(url):
        raise FieldError("bad_url", f"url {_show(url)} holds a control character or line break; left empty")
    return url


def _lang_field(value: object) -> str | None:
    s = _text_field("lang", value)
    lang = normalise_lang(s)
    if lang is not None and not _LANG.fullmatch(lang):
        raise FieldError("bad_lang", f"lang {_show(s)} is not a language tag such as 'en' or 'pt-BR'; left empty")
    return lang


def _published_field(value: object) -> datetime | None:
    try:
        return parse_published(value)
    except ValueError as e:
        raise FieldError("bad_published", f"{e}; left empty") from None


def make_article(
    record: Mapping[str, object],
    where: str,
    default_id: str | None = None,
    field_errors: list[FieldError] | None = None,
) -> Article:
    """Validate one record and build its Article, or raise :class:`RecordError`.

    ``text`` wins over ``html`` when both are given. A bad optional field does not cost
    the article: it is left empty and its :class:`FieldError` appended to
    ``field_errors`` (logged instead when that is None).
    """
    rid = record_id(record.get("id"), default_id)
    errors: list[FieldError] = []

    def optional(fn, *args):  # the field's value, or None and its error noted
        try:
            return fn(*args)
        except FieldError as e:
            errors.append(e)
            return None

    url = optional(_url_field, record.get("url"))
    title = optional(_text_field, "title", record.get("title"))
    text = record.get("text")
    html_date: str | None = None
    sitename: str | None = None
    if isinstance(text, str) and text.strip():
        if len(text) > 4 * MAX_TEXT_CHARS:
            raise RecordError("text_too_long", f"record {rid!r} has {len(text):,} characters (limit {MAX_TEXT_CHARS:,})")
        text = fix_text(replace_surrogates(text))
    else:
        html = record.get("html")
        if not isinstance(html, str) or not html.strip():
            if text is None and html is None:
                raise RecordError("missing_text", f"record {rid!r} has neither 'text' nor 'html'")
            for name, value in (("text", text), ("html", html)):
                if value is not None and not isinstance(value, str):
                    raise RecordError("missing_text", f"record {rid!r}: '{name}' is {_show(value)}, not a string")
            raise RecordError("empty_text", f"record {rid!r} has an empty text")
        if len(html) > 4 * MAX_TEXT_CHARS:
            raise RecordError("text_too_long", f"record {rid!r} has {len(html):,} characters of HTML")
        try:
            ext = extract_html(fix_text(replace_surrogates(html)), url)
        except Exception as e:  # noqa: BLE001  the HTML parsers raise many types on hostile pages
            raise RecordError("empty_text", f"record {rid!r}: its HTML could not be parsed ({type(e).__name__})") from None
        if ext is None:
            raise RecordError("empty_text", f"record {rid!r}: no main text found in its HTML")
        text = replace_surrogates(ext.text)
        title = title or (replace_surrogates(ext.title) if ext.title else None)
        if url is None and ext.url and not _CONTROL.search(ext.url):
            url = replace_surrogates(ext.url)
        html_date, sitename = ext.date, ext.sitename
    if len(text) > MAX_TEXT_CHARS:
        raise RecordError("text_too_long", f"record {rid!r} has {len(text):,} characters (limit {MAX_TEXT_CHARS:,})")
    marker_date, text = split_date_marker(text)
    if not text.strip():
        raise RecordError("empty_text", f"record {rid!r} has an empty text")
    published = optional(_published_field, record.get("published"))
    if published is None and html_date is not None:
        try:
            published = parse_published(html_date)
        except ValueError:  # the page's own guess at a date, not a field of the input
            published = None
    if published is None:
        published = marker_date
    source = optional(_text_field, "source", record.get("source"))
    source = source or host_of(url) or (replace_surrogates(sitename) if sitename else None)
    lang = optional(_lang_field, record.get("lang"))
    if field_errors is None:
        for e in errors:
            log.warning("%s: %s", where, e.detail)
    else:
        field_errors.extend(errors)
    return Article(
        id=rid,
        text=text,
        title=title,
        url=url,
        source=source,
        published=published,
        lang=lang,
        where=where,
    )


__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_ID_CHARS",
    "MAX_TEXT_CHARS",
    "FieldError",
    "RecordError",
    "host_of",
    "make_article",
    "normalise_lang",
    "record_id",
]
