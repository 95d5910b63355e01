"""Bytes to text: the encodings news scrapes actually come in, and their mojibake.

Order matters and is deliberately simple: a byte-order mark wins; then strict UTF-8
(which almost never decodes non-UTF-8 text by accident); then UTF-16 without a mark,
recognised by its NUL pattern; then cp1252, the usual legacy encoding of Western news
sites. After decoding, ftfy repairs text that was decoded with the wrong codec
somewhere upstream ("pĂ¤Ă¤" -> "pää"), but is told not to touch anything a writer
chose (quotes, ligatures, width), so the stored text stays the article's own.
"""

from __future__ import annotations

import codecs
import re

import ftfy

#: Share of control characters above which a decoded "text" is taken for binary data.
MAX_CONTROL_SHARE = 0.01

_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    explain=False,
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def _mojibake_re() -> re.Pattern[str]:
    """A UTF-8 lead byte then a continuation byte, both read as a single-byte codec.

    That pair is what every UTF-8 -> cp1252/latin-1/cp1250 mis-decoding leaves behind,
    and it is rare in real text; it gates ftfy, which is far too slow to run on all text.
    """
    leads, conts = set(), set()
    for codec in ("latin-1", "cp1252", "cp1250"):
        leads |= set(bytes(range(0xC2, 0xF5)).decode(codec, "ignore"))
        conts |= set(bytes(range(0x80, 0xC0)).decode(codec, "ignore"))
    return re.compile(f"[{re.escape(''.join(sorted(leads)))}][{re.escape(''.join(sorted(conts)))}]")


_MOJIBAKE = _mojibake_re()


class InputError(ValueError):
    """Input that cannot become an article; ``reason`` is the Problem key, ``detail`` the sentence."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class DecodeError(InputError):
    """Bytes that are not text."""


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a mark has a NUL in every other byte for Latin scripts."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    codec = "utf-16-le" if odd > 0.3 and even < 0.05 else "utf-16-be" if even > 0.3 and odd < 0.05 else None
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return False
    if "\x00" in sample:
        return True
    return len(_CONTROLS.findall(sample)) / len(sample) > MAX_CONTROL_SHARE


def decode_bytes(data: bytes) -> str:
    """Decode file or field bytes to repaired text, or raise :class:`DecodeError`."""
    text: str | None = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as e:
                raise DecodeError("undecodable", f"starts with a {codec} byte-order mark but is not {codec}: {e.reason}") from None
            break
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is None and b"\x00" in data[:4096]:
        text = _utf16_without_bom(data)
        if text is None:
            raise DecodeError("binary_file", "contains NUL bytes: looks like a binary file, not text")
    if text is None:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise DecodeError("undecodable", "is neither UTF-8, UTF-16 nor cp1252 text") from None
    if _looks_binary(text):
        raise DecodeError("binary_file", "contains NUL or control bytes: looks like a binary file, not text")
    return fix_text(text)


def fix_text(text: str) -> str:
    """Repair mojibake and stray line-break conventions; leave everything else as written."""
    if text.isascii():
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    if "\r" not in text and _MOJIBAKE.search(text) is None and not _looks_binary(text):
        return text
    return ftfy.fix_text(text, _FTFY)
