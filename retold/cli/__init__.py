"""The ``retold`` command: a thin layer over the library API (``import retold``).

Each sub-command lives in its own module and registers itself on ``app`` or
``bench_app``; this file only wires them together.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Find where news was copied, rewritten, translated or independently retold.",
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(no_args_is_help=True, help="Measure retold's quality and speed against its peers.")
app.add_typer(bench_app, name="bench")

# Sub-commands register themselves on import.
from retold.cli import scan as _scan  # noqa: E402,F401
from retold.cli import compare as _compare  # noqa: E402,F401
from retold.cli import report as _report  # noqa: E402,F401
from retold.cli import bench_speed as _bench_speed  # noqa: E402,F401
from retold.cli import bench_quality as _bench_quality  # noqa: E402,F401
from retold.cli import bench_index as _bench_index  # noqa: E402,F401
from retold.cli import serve as _serve  # noqa: E402,F401
from retold.cli import dedup as _dedup  # noqa: E402,F401
from retold.cli import index_cmd as _index_cmd  # noqa: E402,F401


def main() -> None:
    app()
