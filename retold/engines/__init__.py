"""Where the per-item work runs: this machine by default, a Ray cluster when a corpus outgrows it.

Both engines implement ``Engine.map``; plug another engine (Dask, Spark) by writing the same method.
"""

from retold.engines.base import Engine
from retold.engines.local import LocalEngine


def make_engine(name: str = "local", address: str | None = None, threads: int = 0) -> Engine:
    """``local`` (default) or ``ray`` (joins ``address``, or starts a local Ray)."""
    if name == "local":
        return LocalEngine(threads=threads)
    if name == "ray":
        from retold.engines.ray_engine import RayEngine

        return RayEngine(address=address, num_cpus=threads or None)
    raise ValueError(f"unknown engine {name!r}: use 'local' or 'ray'")


__all__ = ["Engine", "LocalEngine", "make_engine"]
