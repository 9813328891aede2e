"""What the hub's framework ends share: the constructor of their ``HubResponse``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .._server import EventStream
    from ._fanout import Subscription
    from ._hub import Hub

_RequestT = TypeVar("_RequestT")


class HubResponseMixin(Generic[_RequestT]):
    """Subscribes the client to one channel and streams the subscription: the base placed
    before a framework's ``EventSourceResponse`` (each ``HubResponse`` documents the
    arguments; ``_position`` reads a request's position)."""

    _push = True  # caught up, the subscription's live events are offered to the stream
    _stream: EventStream

    @staticmethod
    def _position(request: Any) -> str | None:
        raise NotImplementedError

    def __init__(
        self,
        hub: Hub,
        request: _RequestT,
        channel: str,
        *,
        last_event_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        position = last_event_id if last_event_id is not None else self._position(request)
        self.subscription: Subscription = hub.subscribe(channel, position)
        """The :class:`~ssecodec.hub.Subscription` the response streams."""
        super().__init__(self.subscription, headers=headers, **options)  # type: ignore[call-arg]
        self.subscription._push_to(self._stream)
