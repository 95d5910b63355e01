"""Bytes to text: the encodings news scrapes actually come in, and their mojibake.

Order matters and is deliberately simple: a byte-order mark wins; then UTF-16 without a
mark, recognised by its NUL pattern (ASCII-only UTF-16 is also valid UTF-8, so this
comes first); then strict UTF-8 (which almost never decodes non-UTF-8 text by accident);
then cp1252, the usual legacy encoding of Western news sites. After decoding, ftfy repairs text that was decoded with the wrong codec
somewhere upstream ("pĂ¤Ă¤" -> "pää"), but is told not to touch anything a writer
chose (quotes, ligatures, width), so the stored text stays the article's own.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

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


class Unreadable:
    """A value a reader could not convert (a Parquet timestamp past year 9999, say)."""

    def __init__(self, why: str) -> None:
        self.why = why


def show_value(value: object) -> str:
    """A short, printable rendering of a field value for a message (never the whole value).

    Strings are cut to 60 characters and shown with ``repr`` (which escapes control
    characters and lone surrogates); lists, objects and other values by their type only,
    so a deeply nested value is never walked.
    """
    if isinstance(value, str):
        return repr(value[:60] + ("…" if len(value) > 60 else ""))
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 128:
            digits = len(str(value)) if value.bit_length() < 12_000 else "thousands of"
            return f"an integer of {digits} digits"
        return repr(value)
    if isinstance(value, Unreadable):
        return f"unreadable ({value.why})"
    return f"a {type(value).__name__}"


def utf16_codec(head: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``head`` looks like UTF-16 without a mark, else None.

    UTF-16 text has a NUL in every other byte for Latin scripts (and for the JSON or CSV
    punctuation around any text).
    """
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    return "utf-16-le" if odd > 0.3 and even < 0.05 else "utf-16-be" if even > 0.3 and odd < 0.05 else None


def sniff_codec(head: bytes, looks_right: Callable[[str], bool] | None = None) -> tuple[str, int] | None:
    """(codec, length of its byte-order mark) for UTF-16/32 or marked UTF-8, from a file's head.

    None means "no mark and no UTF-16 pattern": read it as UTF-8 (or a legacy codec).
    ``looks_right`` confirms a UTF-16 guess made without a mark from the head's text (a
    UTF-8 file whose first lines are broken can have NULs in that pattern too).
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    codec = utf16_codec(head)
    if codec is None:
        return None
    if looks_right is not None and not looks_right(head[: len(head) // 2 * 2].decode(codec, "replace")):
        return None
    return codec, 0


def _utf16_without_bom(data: bytes) -> str | None:
    codec = utf16_codec(data)
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """``text`` encodable as UTF-8: a surrogate pair becomes its character, a lone one U+FFFD.

    A lone surrogate (JSON may escape one, ``"\\ud800"``) is one code point and so is
    its replacement, so character offsets stay as they were; only a pair written as two
    code points (which JSON never produces) becomes one.
    """
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


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
    if text is None and b"\x00" in data[:4096]:
        text = _utf16_without_bom(data)
        if text is None:
            raise DecodeError("binary_file", "contains NUL bytes: looks like a binary file, not text")
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
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
