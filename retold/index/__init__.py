"""The on-disk index of Docs and Pairs: one SQLite file, one transaction per ``add`` or ``remove``.

See ``retold.index.store`` for the guarantees (atomic adds and removals, safe concurrent
opens, signature settings checked on open), ``retold.index.export`` for writing an index
out as a scan's output files.
"""

from retold.index.errors import IndexBusyError, IndexFileError, IndexSettingsError
from retold.index.hooks import WriteHooks
from retold.index.info import IndexInfo
from retold.index.store import Index, Removal, RemovedReport, Run

__all__ = [
    "Index", "Run", "Removal", "RemovedReport", "IndexInfo", "IndexFileError", "IndexSettingsError", "IndexBusyError",
    "WriteHooks",
]
