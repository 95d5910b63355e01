"""The service's limits and who may write: one frozen object, every number with its default.

Why one object: the HTTP side (body size and read time, Host, Origin, token), the writer
(batch size, queue, jobs) and uvicorn (header time, keep-alive, concurrency) all read it, and
``retold serve`` builds it from its options, so a default is written once, here.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from dataclasses import dataclass, field, fields
from pathlib import Path

from retold.service.body import MAX_ARTICLES, MAX_BODY_BYTES

#: names a Host header may always carry (loopback)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
#: content types a write may carry: none of them can be sent cross-site without a CORS preflight,
#: which this service never answers (text/plain and form types can, so they are refused)
WRITE_TYPES = ("application/json", "application/x-ndjson", "application/jsonl")
#: environment variable holding the bearer token (``--token-file`` wins when both are given)
TOKEN_ENV = "RETOLD_TOKEN"
#: shortest token accepted
MIN_TOKEN_CHARS = 16


class ServiceConfigError(ValueError):
    """Settings the service refuses to start with (a limit out of range, no token beyond loopback)."""


def _limit(lo: float, hi: float) -> dict:
    return {"range": (lo, hi)}


@dataclass(frozen=True)
class ServiceConfig:
    """Limits and access rules of one service. Defaults are ``retold serve``'s.

    The Host check needs the address the service is bound to: :meth:`for_bind` sets it (as
    ``retold serve`` does). ``allowed_hosts=None`` skips it, for an app mounted behind a server
    of your own that checks Host itself; the Origin, content-type and token checks always apply.
    """

    #: most articles (records) in one request; more: 413
    max_articles: int = field(default=MAX_ARTICLES, metadata=_limit(1, 10**6))
    #: largest request body in bytes; more: 413
    max_body_bytes: int = field(default=MAX_BODY_BYTES, metadata=_limit(1024, 2**34))
    #: a request of more articles than this is answered 202 with a job (GET /jobs/ID)
    job_over: int = field(default=500, metadata=_limit(1, 10**6))
    #: small requests waiting together are scanned as one batch of up to this many articles
    batch_max_articles: int = field(default=1000, metadata=_limit(1, 10**6))
    #: seconds the writer waits for more requests before it starts a batch
    batch_linger_s: float = field(default=0.2, metadata=_limit(0.0, 60.0))
    #: a stage of a batch with this many items or more (articles to clean, pairs to compare) runs
    #: on worker processes (``Settings.parallel_min_items``, 2,000 for a scan: its batches are big)
    parallel_min_items: int = field(default=200, metadata=_limit(1, 10**9))
    #: requests (not jobs) waiting for the writer; one more: 503
    max_queued_requests: int = field(default=256, metadata=_limit(1, 10**6))
    #: jobs queued or running; one more: 503
    max_active_jobs: int = field(default=4, metadata=_limit(1, 10**4))
    #: finished jobs kept for GET /jobs/ID (the oldest goes first) ...
    max_kept_jobs: int = field(default=100, metadata=_limit(1, 10**5))
    #: ... and for at most this many seconds
    job_ttl_s: float = field(default=3600.0, metadata=_limit(1.0, 10**7))
    #: a batch still scanning after this many seconds is stopped (nothing of it added): 503
    batch_timeout_s: float = field(default=1800.0, metadata=_limit(1.0, 10**7))
    #: on SIGTERM the running batch may finish for this long; then it is stopped, nothing of it added
    shutdown_grace_s: float = field(default=30.0, metadata=_limit(0.0, 3600.0))
    #: the whole request body must arrive within this many seconds; else 408
    body_timeout_s: float = field(default=60.0, metadata=_limit(0.1, 3600.0))
    #: a request's line and headers must arrive within this many seconds; else the connection is closed
    header_timeout_s: float = field(default=10.0, metadata=_limit(0.1, 3600.0))
    #: an idle keep-alive connection is closed after this many seconds (uvicorn ``timeout_keep_alive``)
    keep_alive_s: float = field(default=5.0, metadata=_limit(0.1, 3600.0))
    #: largest request line plus headers in bytes (uvicorn ``h11_max_incomplete_event_size``); more: 400
    max_header_bytes: int = field(default=16 * 1024, metadata=_limit(1024, 2**24))
    #: connections and requests at once (uvicorn ``limit_concurrency``); past it, 503. A connection
    #: still sending its headers does not count (see ``max_pending_connections``)
    limit_concurrency: int = field(default=128, metadata=_limit(2, 10**6))
    #: connections held while their headers arrive; past it the oldest is closed
    max_pending_connections: int = field(default=1000, metadata=_limit(1, 10**6))
    #: bearer token that writes (and every route but /health) need; None: no token
    token: str | None = field(default=None, repr=False)
    #: names (lowercase) a Host header may carry; None: no Host check (see the class's text)
    allowed_hosts: tuple[str, ...] | None = None
    #: the address the service is bound to (IP literals of it pass the Host check)
    bind_host: str | None = None
    #: Origins (scheme://host:port) a write may come from besides the service's own
    allowed_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in fields(self):
            rng = f.metadata.get("range")
            if rng is None:
                continue
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not rng[0] <= v <= rng[1]:
                raise ServiceConfigError(f"{f.name}={v!r}: must be a number from {rng[0]:g} to {rng[1]:g}")
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise ServiceConfigError(
                f"the token has {len(self.token)} characters; at least {MIN_TOKEN_CHARS} "
                "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if self.job_over > self.max_articles:
            raise ServiceConfigError(f"job_over={self.job_over} is above max_articles={self.max_articles}")

    @classmethod
    def for_bind(
        cls, host: str, *, token: str | None = None, allow_hosts: tuple[str, ...] = (), **limits: object
    ) -> ServiceConfig:
        """The config of a service listening on ``host``: Host names from the bind address,
        and a token required where the service listens beyond loopback."""
        if not is_loopback(host) and not token:
            raise ServiceConfigError(
                f"--host {host} listens beyond this machine, and anyone who reaches it could write to the "
                f"index: give a token (--token-file PATH or the {TOKEN_ENV} environment variable)"
            )
        names = [*LOOPBACK_NAMES, *(h.strip().lower() for h in allow_hosts if h.strip())]
        if not _is_ip(host) and host.lower() not in names:
            names.append(host.lower())  # bound by name: that name is the service's own
        return cls(token=token or None, allowed_hosts=tuple(dict.fromkeys(names)), bind_host=host, **limits)  # type: ignore[arg-type]

    @property
    def wildcard(self) -> bool:
        """Bound to every address (0.0.0.0 or ::)."""
        return self.bind_host is not None and _is_ip(self.bind_host) and ipaddress.ip_address(_bare(self.bind_host)).is_unspecified

    def public(self) -> dict:
        """The limits, for GET /stats: everything but the token."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "token"}
        out["token_required"] = self.token is not None
        return out


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(_bare(host))
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` reaches this machine only (localhost, 127.0.0.0/8, ::1)."""
    h = _bare(host.strip()).lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None]:
    """(host, port) of a Host header or an Origin's authority; ``[v6]:port`` and bare v6 too.
    Raises ValueError for a malformed one."""
    v = value.strip().lower()
    if not v or any(c in v for c in " /\\@?#"):
        raise ValueError(value)
    if v.startswith("["):
        end = v.find("]")
        if end < 0:
            raise ValueError(value)
        host, rest = v[1:end], v[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(value)
        port = rest[1:] if rest else ""
    elif v.count(":") > 1:  # a bare IPv6 address
        host, port = v, ""
    else:
        host, _, port = v.partition(":")
    if port and not port.isdigit():
        raise ValueError(value)
    return host.rstrip("."), (int(port) if port else None)


def host_allowed(host_header: str | None, config: ServiceConfig) -> bool:
    """The Host check (against DNS rebinding): a name of the service's own, a loopback address,
    the bound address, or any IP address literal when bound to every address."""
    if config.allowed_hosts is None:
        return True
    if not host_header:
        return False
    try:
        host, _ = split_host(host_header)
    except ValueError:
        return False
    if host in config.allowed_hosts or "*" in config.allowed_hosts:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if ip.is_loopback or config.wildcard:
        return True
    return config.bind_host is not None and _is_ip(config.bind_host) and ip == ipaddress.ip_address(_bare(config.bind_host))


def origin_allowed(origin: str | None, host_header: str | None, config: ServiceConfig) -> bool:
    """A write's Origin, when it has one, must be the service's own (the page was served by the
    service's own address) or one of ``allowed_origins``; ``null`` and anything else are foreign."""
    if origin is None:
        return True
    o = origin.strip().lower()
    if o in (x.lower().rstrip("/") for x in config.allowed_origins):
        return True
    scheme, sep, authority = o.partition("://")
    if not sep or scheme not in ("http", "https") or not host_header:
        return False
    default = 443 if scheme == "https" else 80
    try:
        oh, op = split_host(authority)
        hh, hp = split_host(host_header)
    except ValueError:
        return False
    return oh == hh and (op or default) == (hp or default)


def read_token(token_file: Path | None, environ: dict[str, str] | None = None) -> str | None:
    """The bearer token: the first line of ``token_file``, else ``$RETOLD_TOKEN``, else None.
    Raises ServiceConfigError for an unreadable or empty file."""
    env = os.environ if environ is None else environ
    if token_file is not None:
        p = Path(token_file).expanduser()
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ServiceConfigError(f"cannot read the token file ({getattr(e, 'strerror', None) or e})") from None
        token = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not token:
            raise ServiceConfigError("the token file is empty")
        return token
    token = (env.get(TOKEN_ENV) or "").strip()
    return token or None


def token_file_is_open(token_file: Path) -> bool:
    """Whether others than the file's owner may read the token file (a warning, not a refusal)."""
    try:
        mode = Path(token_file).expanduser().stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))
