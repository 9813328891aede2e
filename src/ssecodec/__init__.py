"""ssecodec: a fast, correct Server-Sent Events (``text/event-stream``) codec.

Sans-I/O: feed a :class:`Decoder` bytes and get :class:`Event` objects back; :func:`encode`
turns events into bytes. A Cython core is used when available, a pure-Python twin with the
same behaviour otherwise (``IMPLEMENTATION`` says which).
"""

from ._codec import (
    IMPLEMENTATION,
    Decoder,
    Event,
    aiter_events,
    encode,
    encode_comment,
    encode_many,
    iter_events,
)
from ._errors import LimitExceeded, SendTimeout, SSEError
from ._limits import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_LINE_SIZE",
    "IMPLEMENTATION",
    "Decoder",
    "Event",
    "LimitExceeded",
    "SSEError",
    "SendTimeout",
    "__version__",
    "aiter_events",
    "encode",
    "encode_comment",
    "encode_many",
    "iter_events",
]
