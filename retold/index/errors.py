"""Errors of the index, each naming the index file so a person knows which one to fix."""

from __future__ import annotations


class IndexFileError(Exception):
    """The file at the index path cannot be used as a retold index (not SQLite, damaged, foreign)."""


class IndexSettingsError(IndexFileError):
    """The index was built with other signature settings; its signatures would not compare with new ones."""


class IndexBusyError(IndexFileError):
    """Another process held the index's write lock for longer than the busy timeout."""
