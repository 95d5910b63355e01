"""A real `retold serve` for the tests: a free loopback port, the process, the wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(idx: Path, port: int, *extra: str, env: dict | None = None, stdout: int = subprocess.DEVNULL) -> subprocess.Popen:
    """``retold serve`` on ``idx`` in its own process group (so a test can signal the whole group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "retold", "serve", "--index", str(idx), "--port", str(port), *extra],
        stdout=stdout, stderr=subprocess.PIPE, start_new_session=True, env=env,
    )


def wait_up(port: int, proc: subprocess.Popen, limit: float, poll_timeout: float) -> None:
    """Until ``/health`` answers 200; fails with the service's stderr if it exits first."""
    import httpx

    t = time.monotonic()
    while time.monotonic() - t < limit:
        if proc.poll() is not None:
            raise AssertionError(f"service exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=poll_timeout).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("service did not come up")
