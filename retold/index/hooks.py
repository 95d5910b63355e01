"""What a caller hears of a write to the index while a scan makes it: ``WriteHooks``.

Why: the service must stop a batch that waits for another writer's lock when it shuts down,
must know the moment past which a batch can no longer be stopped (the commit), and must learn
exactly what was stored (the pairs as the index keeps them, before the stories relabel them
in place) to extend its read snapshot. A scan passes one ``WriteHooks`` on to
``Index.writing`` and ``Index.add``; the defaults do nothing, so a plain scan pays nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from retold.model import Doc, Pair


class WriteHooks:
    """Callbacks around one scan's write to an index; subclass and override what you need.

    ``waiting`` is called about five times a second while another writer holds the index's
    lock; raising there gives up the wait (nothing was written). ``before_commit`` is called
    once, before the rows are written: from then on the write completes or rolls back as a
    whole. ``committed`` is called after the commit with the docs and pairs stored.
    """

    def waiting(self) -> None:
        """Another writer holds the lock; raise to stop waiting for it."""

    def before_commit(self) -> None:
        """The write is about to begin; it can no longer be stopped half way."""

    def committed(self, docs: Sequence[Doc], pairs: Sequence[Pair]) -> None:
        """``docs`` and ``pairs`` are in the index file now."""


#: the hooks of a caller that wants none
NO_HOOKS = WriteHooks()

__all__ = ["NO_HOOKS", "WriteHooks"]
