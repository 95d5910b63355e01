"""A Doc's numpy arrays packed into one blob, and back, without pickle.

One blob per doc keeps a load to one row read and at most one copy. The format is a
small self-describing table (field, dtype, shape, offset per array) followed by the
raw little-endian bytes, aligned to 8 bytes so the arrays read back as aligned views.
Only plain numeric and bool dtypes are accepted: a blob can never make numpy build
Python objects, so a tampered index cannot run code on load.

Layout (all integers little-endian)::

    b"RTA2"  u16 n_arrays  u16 reserved
    n_arrays records of 40 bytes: u8 field_id, u8 ndim (<= 3), 6s dtype (ascii, e.g. "<u8",
                                  NUL-padded), 3 x u64 shape (unused dims 0), u64 data offset
    the raw data of each array, each starting at a multiple of 8 from the blob start

Fixed-size records let a load parse a doc's whole table in one call.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

import numpy as np

MAGIC = b"RTA2"

#: Field ids are positions in this tuple: append new fields, never reorder.
ARRAY_FIELDS: tuple[str, ...] = (
    "sent_spans",
    "sent_boiler",
    "tok_hash",
    "tok_spans",
    "tok_sent",
    "tok_quoted",
    "minhash",
    "fingerprints",
    "sent_vecs",
    "vec",
    "anchors",
    "second_vecs",
)
_FIELD_ID = {name: i for i, name in enumerate(ARRAY_FIELDS)}
_KINDS = frozenset("biuf")  # bool, signed, unsigned, float: nothing that holds objects
_HEAD = struct.Struct("<4sHH")
_REC = struct.Struct("<BB6s3QQ")
_ALIGN = 8
MAX_NDIM = 3


class ArrayBlobError(ValueError):
    """A blob that is not in the format above; the caller adds which doc and file."""


_DTYPES: dict[bytes, np.dtype] = {}  # pure memo of validated dtype codes


def _dtype(code: bytes) -> np.dtype:
    """The dtype a record names, refusing anything that could hold Python objects."""
    d = _DTYPES.get(code)
    if d is None:
        try:
            d = np.dtype(code.rstrip(b"\0").decode("ascii"))
        except (TypeError, ValueError, UnicodeDecodeError):
            raise ArrayBlobError(f"array blob names an unknown dtype {code!r}") from None
        if d.kind not in _KINDS or d.hasobject:
            raise ArrayBlobError(f"array blob names a forbidden dtype {d.str!r}")
        _DTYPES[code] = d
    return d


def _little(arr: np.ndarray, field: str) -> np.ndarray:
    if arr.dtype.kind not in _KINDS:
        raise ArrayBlobError(f"field {field!r} has dtype {arr.dtype}, only bool/int/uint/float arrays can be stored")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return np.ascontiguousarray(arr)


def pack_arrays(arrays: Mapping[str, np.ndarray | None]) -> bytearray:
    """Pack the non-None arrays of ``arrays`` (keys from ``ARRAY_FIELDS``) into one blob.

    The blob is built in one buffer (no intermediate copies): packing is most of the
    cost of an ``add``.
    """
    items: list[tuple[int, np.ndarray, int]] = []
    pos = _HEAD.size + _REC.size * sum(a is not None for a in arrays.values())
    for name, arr in arrays.items():
        if arr is None:
            continue
        if name not in _FIELD_ID:
            raise ArrayBlobError(f"unknown array field {name!r}")
        arr = _little(np.asarray(arr), name)
        if arr.ndim > MAX_NDIM:
            raise ArrayBlobError(f"field {name!r} has {arr.ndim} dimensions, at most {MAX_NDIM} can be stored")
        pos += -pos % _ALIGN
        items.append((_FIELD_ID[name], arr, pos))
        pos += arr.nbytes
    buf = bytearray(pos)
    view = memoryview(buf)
    _HEAD.pack_into(buf, 0, MAGIC, len(items), 0)
    for k, (fid, arr, off) in enumerate(items):
        shape = tuple(arr.shape) + (0,) * (MAX_NDIM - arr.ndim)
        _REC.pack_into(buf, _HEAD.size + k * _REC.size, fid, arr.ndim, arr.dtype.str.encode("ascii"), *shape, off)
        if arr.nbytes:
            view[off : off + arr.nbytes] = memoryview(arr).cast("B")
    view.release()
    return buf


def unpack_arrays(blob: bytes | bytearray | memoryview, writable: bool = True) -> dict[str, np.ndarray]:
    """Read a blob from ``pack_arrays``; raises ``ArrayBlobError`` on anything out of format.

    ``writable=False`` returns read-only views into ``blob`` (no copy: about twice as fast
    to load); ``writable=True`` copies the blob once and views that copy.
    """
    buf = bytearray(blob) if writable else blob
    n = len(buf)
    if n < _HEAD.size:
        raise ArrayBlobError("array blob shorter than its header")
    magic, count, _ = _HEAD.unpack_from(buf, 0)
    if magic != MAGIC:
        raise ArrayBlobError(f"array blob starts with {bytes(magic)!r}, expected {MAGIC!r}")
    end = _HEAD.size + _REC.size * count
    if end > n:
        raise ArrayBlobError("array blob is truncated (its table runs past the end)")
    out: dict[str, np.ndarray] = {}
    last = end
    for fid, ndim, code, s0, s1, s2, off in _REC.iter_unpack(memoryview(buf)[_HEAD.size : end]):
        if fid >= len(ARRAY_FIELDS) or ndim > MAX_NDIM:
            raise ArrayBlobError(f"array record with field id {fid}, ndim {ndim} (written by a newer retold?)")
        dtype = _dtype(code)
        shape = (s0, s1, s2)[:ndim]
        items = 1
        for s in shape:
            items *= s
        if off < end or off + items * dtype.itemsize > n:
            raise ArrayBlobError(f"array field {ARRAY_FIELDS[fid]!r} lies outside its blob")
        last = max(last, off + items * dtype.itemsize)
        if items == 0:
            out[ARRAY_FIELDS[fid]] = np.empty(shape, dtype=dtype)
        else:
            out[ARRAY_FIELDS[fid]] = np.frombuffer(buf, dtype=dtype, count=items, offset=off).reshape(shape)
    if last != n:
        raise ArrayBlobError(f"array blob has {n - last} trailing bytes")
    return out


#: bytes of a blob that always hold its whole table (header and a record per field)
TABLE_BYTES = _HEAD.size + _REC.size * len(ARRAY_FIELDS)


def blob_fields(head: bytes | bytearray | memoryview) -> tuple[str, ...]:
    """The fields a blob holds, read from its table alone (its first ``TABLE_BYTES`` bytes).

    Why: telling which docs carry an optional array (the second model's vectors) then reads
    a few hundred bytes of each doc, not its whole blob.
    """
    if len(head) < _HEAD.size:
        raise ArrayBlobError("array blob shorter than its header")
    magic, count, _ = _HEAD.unpack_from(head, 0)
    if magic != MAGIC:
        raise ArrayBlobError(f"array blob starts with {bytes(magic)!r}, expected {MAGIC!r}")
    end = _HEAD.size + _REC.size * count
    if end > len(head):
        raise ArrayBlobError("array blob is truncated (its table runs past the end)")
    names = []
    for rec in _REC.iter_unpack(memoryview(head)[_HEAD.size : end]):
        if rec[0] >= len(ARRAY_FIELDS):
            raise ArrayBlobError(f"array record with field id {rec[0]} (written by a newer retold?)")
        names.append(ARRAY_FIELDS[rec[0]])
    return tuple(names)
