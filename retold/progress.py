"""Progress reporting as a small interface, so the library stays quiet and the CLI shows bars."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    """Sees each step of a stage go by. A progress may also have ``check()``, which a long wait
    (the engine awaiting its workers) calls now and then: raising there stops the work, as the
    service does on shutdown."""

    def track(self, items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]: ...


class NullProgress:
    """Reports nothing: the library default."""

    def track(self, items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]:
        yield from items


class RichProgress:
    """Progress bars on stderr via rich; only shown for work of ``min_items`` or more."""

    def __init__(self, min_items: int = 200) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.min_items = min_items

    def track(self, items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]:
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        if total is not None and total < self.min_items:
            yield from items
            return
        from rich.progress import track

        yield from track(items, total=total, description=label, console=self.console, transient=True)


class Meter(Protocol):
    """A bar over a quantity (bytes read) rather than a list of items."""

    def update(self, done: int) -> None: ...

    def close(self) -> None: ...


class _NullMeter:
    def update(self, done: int) -> None:
        pass

    def close(self) -> None:
        pass


class _RichMeter:
    """Bytes done of a total, with speed and time left, on stderr."""

    def __init__(self, console, total: int, label: str) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress as Bars, TextColumn, TimeRemainingColumn, TransferSpeedColumn

        self._bars = Bars(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                          TimeRemainingColumn(), console=console, transient=True)
        self._bars.start()
        self._task = self._bars.add_task(label, total=total)

    def update(self, done: int) -> None:
        self._bars.update(self._task, completed=done)

    def close(self) -> None:
        self._bars.stop()


def meter(progress: Progress | None, total: int, label: str = "") -> Meter:
    """A bar of ``total`` bytes where ``progress`` shows bars (``RichProgress``), else one that shows nothing."""
    if isinstance(progress, RichProgress) and total > 0:
        return _RichMeter(progress.console, total, label)
    return _NullMeter()
