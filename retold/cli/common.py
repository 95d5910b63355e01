"""Helpers shared by sub-commands."""

from __future__ import annotations

import typer
from rich.console import Console

from retold.config import Settings
from retold.sign.embed import Encoder


def encoder_or_exit(spec: str | None, settings: Settings | None = None) -> Encoder:
    """The encoder a ``--encoder`` spec names, or a one-line error and exit status 2.

    A missing package or a machine without the GPU asked for is a usage error, not a crash.
    """
    from retold.sign import EncoderLoadError, load_encoder

    try:
        return load_encoder(spec, settings)
    except EncoderLoadError as e:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from None
