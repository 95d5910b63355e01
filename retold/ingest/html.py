"""HTML pages to main text and metadata, via trafilatura.

A news page is mostly navigation, teasers and footers; only the article body is worth
comparing, and trafilatura finds it better than anything we would write. What it
cannot find (an empty or script-only page) comes back as ``None`` so the caller can
report the record instead of storing an empty article.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)


@dataclass
class Extracted:
    text: str
    title: str | None
    url: str | None
    date: str | None
    sitename: str | None


def extract_html(html: str, url: str | None = None) -> Extracted | None:
    """Main text and metadata of one page; ``None`` when the page has no main text."""
    import trafilatura  # local: importing it costs ~0.5 s, and most inputs are not HTML

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    if doc is None:
        return None
    def field(name: str) -> str | None:  # a Document (slots), or a dict in older trafilatura
        value = doc.get(name) if isinstance(doc, dict) else getattr(doc, name, None)
        return str(value) if value else None

    text = field("text")
    if text is None or not text.strip():
        return None
    return Extracted(
        text=text,
        title=field("title"),
        url=field("url") or url,
        date=field("date"),
        sitename=field("sitename") or field("hostname"),
    )
