"""Pick the implementation: the Cython twin when it imports, else the pure-Python one.

Pure Python is used when ``SSECODEC_NO_EXTENSIONS`` is set to a true value (``1``, ``true``,
``yes``; ``0`` and anything else is false), on interpreters other than CPython, and when the
compiled module is missing or fails to import.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

NO_EXTENSIONS = os.environ.get("SSECODEC_NO_EXTENSIONS", "").strip().lower() in {"1", "true", "yes"}

if TYPE_CHECKING:
    from ._codec_py import (
        Decoder,
        Event,
        aiter_events,
        encode,
        encode_comment,
        encode_many,
        iter_events,
    )

    IMPLEMENTATION: str
elif NO_EXTENSIONS or sys.implementation.name != "cpython":
    from ._codec_py import (
        Decoder,
        Event,
        aiter_events,
        encode,
        encode_comment,
        encode_many,
        iter_events,
    )

    IMPLEMENTATION = "python"
else:
    try:
        from ._codec_c import (
            Decoder,
            Event,
            aiter_events,
            encode,
            encode_comment,
            encode_many,
            iter_events,
        )

        IMPLEMENTATION = "cython"
    except ImportError:  # pragma: no cover - depends on the build
        from ._codec_py import (
            Decoder,
            Event,
            aiter_events,
            encode,
            encode_comment,
            encode_many,
            iter_events,
        )

        IMPLEMENTATION = "python"

__all__ = [
    "IMPLEMENTATION",
    "Decoder",
    "Event",
    "aiter_events",
    "encode",
    "encode_comment",
    "encode_many",
    "iter_events",
]
