"""The on-disk index of Docs and Pairs: one SQLite file, one transaction per ``add``.

See ``retold.index.store`` for the guarantees (atomic adds, safe concurrent opens,
signature settings checked on open).
"""

from retold.index.errors import IndexBusyError, IndexFileError, IndexSettingsError
from retold.index.store import Index, Run

__all__ = ["Index", "Run", "IndexFileError", "IndexSettingsError", "IndexBusyError"]
