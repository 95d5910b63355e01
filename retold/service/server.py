"""Running the app under uvicorn: a header deadline, the connection limits, and a clean SIGTERM.

uvicorn times out an idle keep-alive connection but not one that stalls in its request line
or headers: such connections were held open forever (3,000 of them, in a test), and counted
against ``limit_concurrency``, so that everyone else got 503. Here the h11 protocol closes a
connection whose request line and headers have not all arrived within ``header_timeout_s`` of
its first byte (or of the connection's opening), does not count it among the connections until
its headers are in, and holds at most ``max_pending_connections`` such connections (the oldest
goes first). The body has its own deadline in the handler (``body_timeout_s``).

SIGTERM (or Ctrl-C): the service stops taking requests, fails what waits (503), lets the
running batch finish within ``shutdown_grace_s`` and then stops it before its commit (the index
keeps everything committed and nothing of the stopped batch), answers the open requests,
releases the index and exits with status 0. Should the batch not stop within a further
:data:`~retold.service.writer.STOP_MARGIN_S`, the process exits anyway (status 3): an
uncommitted SQLite transaction leaves nothing behind.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

from retold.service.config import ServiceConfig
from retold.service.writer import STOP_MARGIN_S

if TYPE_CHECKING:
    from retold.service.writer import IndexService

log = logging.getLogger("retold.service")

_TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def guarded_protocol(header_timeout_s: float, max_pending: int) -> type:
    """uvicorn's h11 protocol with a deadline on each request's line and headers.

    A connection waiting for its headers is kept out of uvicorn's count of connections (which
    ``limit_concurrency`` reads), so stalled connections cannot make the service answer 503 to
    everyone else; at most ``max_pending`` of them are held, and past that the oldest is closed
    (a client that is really sending its headers is rarely the oldest).
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    pending: dict[Any, None] = {}  # connections waiting for their headers, oldest first

    class GuardedH11Protocol(H11Protocol):
        _header_timer: Any = None
        waiting_for_headers = pending

        def connection_made(self, transport) -> None:  # noqa: ANN001
            super().connection_made(transport)
            self._wait_for_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                if self._header_timer is None:  # a request begun: its headers' clock starts now
                    self._wait_for_headers()
            elif self in pending:
                self._disarm()
                del pending[self]
                self.connections.add(self)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            pending.pop(self, None)
            super().connection_lost(exc)

        def _wait_for_headers(self) -> None:
            self.connections.discard(self)
            pending[self] = None
            while len(pending) > max_pending:
                oldest = next(iter(pending))
                del pending[oldest]
                oldest._disarm()
                oldest.transport.close()
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_late)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            pending.pop(self, None)
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                if self.cycle is None or self.cycle.response_complete:
                    self.transport.write(_TIMEOUT_RESPONSE)
                self.transport.close()

    return GuardedH11Protocol


def _force_exit(service: IndexService | None = None) -> None:
    """The last resort of a shutdown: workers killed, the process gone (nothing uncommitted stays).
    What was running, and where each thread was, goes to stderr first: a stop that misses its
    bound is a bug to find, and this is the only moment its place can be seen."""
    import faulthandler
    import sys

    running = service.running() if service is not None else None
    log.error("the running batch did not stop in time (%s); exiting without it (the index keeps what was committed)",
              running)
    try:
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    except (OSError, ValueError, AttributeError):  # no usable stderr: nothing to show
        pass
    for child in multiprocessing.active_children():
        child.kill()
    logging.shutdown()
    os._exit(3)


def serve(service: IndexService, host: str, port: int, config: ServiceConfig | None = None, log_level: str = "warning") -> None:
    """Serve ``service`` on ``host:port`` until SIGTERM or Ctrl-C (see the module's text)."""
    import uvicorn

    from retold.service.app import create_app

    cfg = config or service.config

    protocol = guarded_protocol(cfg.header_timeout_s, cfg.max_pending_connections)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:  # noqa: ANN001
            for conn in list(protocol.waiting_for_headers):  # uvicorn does not know of them: closed here
                conn.transport.close()
            await super().shutdown(sockets)

        def handle_exit(self, sig: int, frame: Any) -> None:  # noqa: ANN401
            first = not self.should_exit
            if first:
                service.begin_shutdown()
                watchdog = threading.Timer(cfg.shutdown_grace_s + STOP_MARGIN_S + 5.0, _force_exit, args=(service,))
                watchdog.daemon = True
                watchdog.start()
            else:  # a second signal: stop the running batch now
                service.stop_now()
                if sig == signal.SIGINT:
                    self.force_exit = True
            self.should_exit = True  # not re-raised after the shutdown: a clean stop exits 0

    uv = uvicorn.Config(
        create_app(service, cfg),
        host=host,
        port=port,
        log_level=log_level,
        http=protocol,
        timeout_keep_alive=cfg.keep_alive_s,
        h11_max_incomplete_event_size=cfg.max_header_bytes,
        limit_concurrency=cfg.limit_concurrency,
        timeout_graceful_shutdown=int(cfg.shutdown_grace_s + STOP_MARGIN_S),
        lifespan="on",
        server_header=False,
    )
    Server(uv).run()
