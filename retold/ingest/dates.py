"""Publication dates: the fields inputs give, and the marker some scrapers prepend.

Timezones: an aware datetime (an ISO string with ``Z`` or an offset) stays aware, a
naive one stays naive; nothing is converted, because guessing a zone for a naive date
would invent precision the input did not have. Consumers that order dates compare
them as given (see ``comparable``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

#: ``date 2022-09-20 `` (optionally with a time) at the very start of a scraped text.
_MARKER = re.compile(
    r"\A[\ufeff\s]*date:?[ \t]+(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?)[ \t]+(?=\S)",
    re.IGNORECASE,
)


def parse_published(value: object) -> datetime | None:
    """A datetime from what an input gives; ``None`` when absent; ValueError when unreadable."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Epoch seconds (or milliseconds, as JavaScript writes them), always UTC.
        secs = float(value) / 1000.0 if abs(value) > 1e11 else float(value)
        return datetime.fromtimestamp(secs, tz=UTC)
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if s.endswith(("z", "Z")):
            s = s[:-1] + "+00:00"
        try:
            return datetime.fromisoformat(s)
        except ValueError:
            pass
        try:  # RSS feeds write RFC 2822: "Tue, 14 Mar 2024 09:30:00 +0100"
            return parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"published {value!r} is not an ISO (or RFC 2822) date or datetime") from None
    raise ValueError(f"published has type {type(value).__name__}, expected an ISO date string")


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
