"""The HTTP libraries under :mod:`ssecodec.client`, one module each: httpx, urllib3, aiohttp.

The reconnection logic lives in :mod:`ssecodec.client` and ``ssecodec._reconnect`` alone;
a backend only sends a request, tells the response's status and ``Content-Type``, hands over
the body as it arrives, and says which of its library's errors are worth another attempt. Each
module imports its library when it is imported, and is imported only when its backend is chosen.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Final, Protocol
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

SYNC: Final = ("urllib3", "httpx")
"""The backends of ``EventSource``, fastest first."""
ASYNC: Final = ("aiohttp", "httpx")
"""The backends of ``AsyncEventSource``, fastest first."""
FAST_OPTIONS: Final = frozenset({"timeout", "params"})
"""The request options every backend takes; others (``auth``, ``cookies``, ...) are httpx's."""

Headers = list[tuple[bytes, bytes]]


class Response(Protocol):
    """What the event source reads of a response, whatever the library."""

    status_code: int
    reason_phrase: str | None
    content_type: str | None
    """Every ``Content-Type`` header value, joined with ``", "`` (``None`` if none)."""


class SyncResponse(Response, Protocol):
    chunks: Iterator[bytes]
    """The body, as it arrives."""

    def preview(self) -> bytes:
        """The start of the body (up to 512 bytes), for an error message."""

    def close(self) -> None:
        """Close the response; may be called from another thread, to stop a blocking read."""


class AsyncResponse(Response, Protocol):
    chunks: AsyncIterator[bytes]

    async def preview(self) -> bytes:
        """The start of the body (up to 512 bytes), for an error message."""


class _Backend(Protocol):
    name: str

    def failure(self, exc: Exception) -> tuple[bool, BaseException | str]:
        """Judge an error raised by a request or while reading: ``(True, cause)`` to try
        again (``cause``: the network error), ``(False, error)`` to raise ``error``, or
        ``(False, problem)`` to fail with ``EventSourceError`` naming the problem."""


class SyncBackend(_Backend, Protocol):
    def open(self, method: str, url: str, headers: Headers) -> AbstractContextManager[SyncResponse]:
        """Send a request; the response is closed at the end of the ``with`` block."""

    def close(self) -> None:
        """Close the client, if the backend made it."""


class AsyncBackend(_Backend, Protocol):
    def open(
        self, method: str, url: str, headers: Headers
    ) -> AbstractAsyncContextManager[AsyncResponse]:
        """Send a request; the response is closed at the end of the ``async with`` block."""

    async def aclose(self) -> None:
        """Close the client, if the backend made it."""


def _library_of(client: object) -> str | None:
    """The backend a user's client belongs to (``None``: not one of ours)."""
    module = type(client).__module__.partition(".")[0]
    return module if module in ("httpx", "urllib3", "aiohttp") else None


def available(name: str) -> bool:
    """Whether the library of backend ``name`` is installed, in a version it can use."""
    try:
        library = importlib.import_module(name)
    except ImportError:
        return False
    if name == "urllib3":  # 2.3 and later: HTTPResponse.shutdown() ends a read from a thread
        return hasattr(library.HTTPResponse, "shutdown")
    return True


def _proxied(url: object) -> bool:
    """Whether proxy environment variables (or the system's settings) apply to ``url``, as
    httpx (and aiohttp's ``trust_env``) would read them; urllib3 reads none."""
    proxies = getproxies()
    parts = urlsplit(str(url))
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not (parts.hostname and proxy_bypass(parts.hostname))


def choose(
    asynchronous: bool,
    backend: str | None,
    client: object,
    url: object,
    options: Mapping[str, Any],
) -> str:
    """The backend an event source runs on (see ``EventSource``'s ``backend`` argument)."""
    names = ASYNC if asynchronous else SYNC
    kind = "AsyncEventSource" if asynchronous else "EventSource"
    if backend is not None and backend not in names:
        raise ValueError(f"{kind}'s backend is one of {', '.join(names)} or None, not {backend!r}")
    if client is not None:
        owner = _library_of(client) or "httpx"  # an object like httpx's clients, as before
        if owner not in names:
            raise TypeError(f"{kind} takes no {owner} client ({type(client).__name__})")
        if backend is not None and backend != owner:
            raise TypeError(f"backend={backend!r} cannot use a {owner} client")
        backend = owner
    others = sorted(set(options) - FAST_OPTIONS)
    if backend is None:
        if others:  # only httpx's client.stream() takes them
            return "httpx"
        if not asynchronous and _proxied(url):
            return "httpx"
        return next(name for name in names if name == "httpx" or available(name))
    if others and backend != "httpx":
        raise TypeError(f"the {backend} backend takes no {', '.join(others)} (httpx does)")
    if backend != "httpx" and not available(backend):
        minimum = " 2.3 or later" if backend == "urllib3" else ""
        raise ImportError(
            f"{kind}(backend={backend!r}) needs {backend}{minimum}: pip install 'ssecodec[client]'"
        )
    return backend


def load(name: str) -> Any:
    """The module of backend ``name``."""
    return importlib.import_module(f"{__name__}._{name}")


def timeouts(timeout: object) -> tuple[float | None, float | None]:
    """``(connect, read)`` in seconds from a ``timeout`` option: a number or ``None`` for
    both, or an ``httpx.Timeout``."""
    if timeout is None or isinstance(timeout, (int, float)):
        return timeout, timeout
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(timeout, httpx.Timeout):
        return timeout.connect, timeout.read
    raise TypeError(f"timeout must be a number, None or an httpx.Timeout, not {timeout!r}")


def with_params(url: str, params: object) -> str:
    """``url`` with the query parameters of a ``params`` option, as httpx makes it."""
    if not params:
        return url
    import httpx

    return str(httpx.URL(url, params=params))
