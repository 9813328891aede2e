"""Fan-out: channels of server-sent events, encoded once, resumable, across processes.

::

    from ssecodec.hub import Hub

    hub = Hub()                                   # in-process broker, 1000 events of history

    @app.get("/prices")
    async def prices(request: Request):
        return hub.response(request, "prices")   # Starlette/FastAPI or aiohttp.web

    hub.publish("prices", {"symbol": "ACME", "price": 12.5})   # from any thread
    await hub.apublish("prices", "...", event="tick")          # from async code

Many worker processes or machines: ``Hub(RedisBroker("redis://..."))``
(``pip install 'ssecodec[redis]'``). docs/hub.md has the guarantees and the set-ups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._broker import DEFAULT_HISTORY, Broker, BrokerUnavailable, MemoryBroker
from ._fanout import Subscription
from ._hub import DEFAULT_MAX_LAG, GAP_EVENT, Hub

if TYPE_CHECKING:
    from ._redis import RedisBroker

__all__ = [
    "DEFAULT_HISTORY",
    "DEFAULT_MAX_LAG",
    "GAP_EVENT",
    "Broker",
    "BrokerUnavailable",
    "Hub",
    "MemoryBroker",
    "RedisBroker",
    "Subscription",
]


def __getattr__(name: str) -> Any:
    # RedisBroker imports redis-py, an optional dependency: only when asked for.
    if name == "RedisBroker":
        from ._redis import RedisBroker

        return RedisBroker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
