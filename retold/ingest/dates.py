"""Publication dates: the fields inputs give, and the marker some scrapers prepend.

Timezones: an aware datetime (an ISO string with ``Z`` or an offset) stays aware, a
naive one stays naive; nothing is converted, because guessing a zone for a naive date
would invent precision the input did not have. Consumers that order dates compare
them as given (see ``comparable``). An aware date keeps its own offset, as a fixed
``datetime.timezone`` (a zone object from Parquet becomes the offset it had then).

Range: a date is accepted only in the years ``MIN_YEAR`` to ``MAX_YEAR``. Python's
dates end at years 1 and 9999, and a date near either end overflows as soon as later
stages subtract two dates, add a few days or convert it to another zone; no news was
published outside this range, so a value there is a broken field, not a date.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from retold.ingest.decode import show_value as _show

#: Earliest and latest year of a publication date; outside, ``published`` is unreadable.
MIN_YEAR = 1000
MAX_YEAR = 9000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Epoch numbers above this (in absolute value) are milliseconds, as JavaScript writes them.
_MS_ABOVE = 1e11

#: ``date 2022-09-20 `` (optionally with a time) at the very start of a scraped text.
_MARKER = re.compile(
    r"\A[\ufeff\s]*date:?[ \t]+(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?)[ \t]+(?=\S)",
    re.IGNORECASE,
)


def _in_range(d: datetime, value: object) -> datetime:
    """``d`` with a fixed-offset zone when aware; ValueError outside the accepted years."""
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise ValueError(f"published {_show(value)} is not a date in the years {MIN_YEAR}..{MAX_YEAR}")
    if d.tzinfo is None or isinstance(d.tzinfo, timezone):
        return d
    try:
        offset = d.utcoffset()
    except Exception as e:  # noqa: BLE001  a zone object of any kind may fail here
        raise ValueError(f"published {_show(value)} has an unusable time zone ({type(e).__name__})") from None
    return d.replace(tzinfo=None if offset is None else timezone(offset))


def _from_epoch(value: int | float) -> datetime:
    try:
        if isinstance(value, int):
            delta = timedelta(milliseconds=value) if abs(value) > _MS_ABOVE else timedelta(seconds=value)
        else:
            if not math.isfinite(value):
                raise ValueError
            delta = timedelta(seconds=value / 1000.0 if abs(value) > _MS_ABOVE else value)
        return _EPOCH + delta
    except (OverflowError, ValueError):
        raise ValueError(f"published {_show(value)} is not a date in the years {MIN_YEAR}..{MAX_YEAR}") from None


def parse_published(value: object) -> datetime | None:
    """A datetime from what an input gives; ``None`` when absent; ValueError when unreadable.

    Strings are ISO 8601 (``Z`` or an offset for aware) or RFC 2822; numbers are epoch
    seconds, or milliseconds above 1e11, always UTC. Every result lies in the years
    ``MIN_YEAR``..``MAX_YEAR``, so date arithmetic on it cannot overflow.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _in_range(value, value)
    if isinstance(value, date):
        return _in_range(datetime(value.year, value.month, value.day), value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _in_range(_from_epoch(value), value)
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if s.endswith(("z", "Z")):
            s = s[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(s)
        except ValueError:
            try:  # RSS feeds write RFC 2822: "Tue, 14 Mar 2024 09:30:00 +0100"
                parsed = parsedate_to_datetime(s)
            except Exception:  # noqa: BLE001  the email parser raises several types on odd input
                raise ValueError(f"published {_show(value)} is not an ISO (or RFC 2822) date or datetime") from None
        return _in_range(parsed, value)
    raise ValueError(f"published is {_show(value)}, expected an ISO date string or epoch seconds")


def split_date_marker(text: str) -> tuple[datetime | None, str]:
    """(date, text without the marker) when ``text`` opens with a parseable scraper date marker.

    Conservative on purpose: only at the very start, only a real calendar date; an
    article that merely begins with the word "date" is left alone.
    """
    m = _MARKER.match(text)
    if m is None:
        return None, text
    try:
        when = parse_published(m.group(1))
    except ValueError:
        return None, text
    return when, text[m.end() :]


def comparable(d: datetime) -> datetime:
    """A naive-UTC view of ``d`` so aware and naive dates can be ordered together."""
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo is not None else d
