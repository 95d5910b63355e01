"""Where the per-item work runs. One process by default; other engines plug in behind ``Engine``."""

from retold.engines.base import Engine
from retold.engines.local import LocalEngine

__all__ = ["Engine", "LocalEngine"]
