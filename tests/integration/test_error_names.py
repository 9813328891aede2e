"""Every exception a public module exports is named, in tracebacks, by a public module that
exports it (``ssecodec.httpx.SSEError``, ``ssecodec.SendTimeout``), never by the private module
that defines it."""

from __future__ import annotations

import importlib
import pickle
import traceback
from typing import Any

import pytest

PUBLIC_MODULES = [
    "ssecodec",
    "ssecodec.aiohttp",
    "ssecodec.client",
    "ssecodec.httpx",
    "ssecodec.relay",
    "ssecodec.requests",
    "ssecodec.sse_starlette",
    "ssecodec.starlette",
]


def _exported_errors() -> list[tuple[str, str, type[BaseException]]]:
    found = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseException):
                found.append((module_name, name, value))
    return found


ERRORS = _exported_errors()


def test_the_integrations_export_errors() -> None:
    names = {f"{module}.{name}" for module, name, _ in ERRORS}
    assert {"ssecodec.starlette.SendTimeout", "ssecodec.httpx.SSEError"} <= names


@pytest.mark.parametrize(
    ("module_name", "name", "cls"), ERRORS, ids=[f"{m}.{n}" for m, n, _ in ERRORS]
)
def test_exported_error_is_named_by_a_public_module(
    module_name: str, name: str, cls: type[BaseException]
) -> None:
    home = cls.__module__
    assert not any(part.startswith("_") for part in home.split(".")), home
    assert home in PUBLIC_MODULES
    assert getattr(importlib.import_module(home), cls.__qualname__) is cls
    shown = traceback.format_exception_only(cls.__new__(cls))[0]
    assert shown.startswith(f"{home}.{cls.__qualname__}")


def test_send_timeout_is_one_class_wherever_it_is_imported() -> None:
    import ssecodec
    import ssecodec.aiohttp
    import ssecodec.starlette

    assert ssecodec.starlette.SendTimeout is ssecodec.aiohttp.SendTimeout is ssecodec.SendTimeout
    assert issubclass(ssecodec.SendTimeout, (ssecodec.SSEError, TimeoutError))
    exc = ssecodec.SendTimeout("sending to the client took over 30 s")
    assert traceback.format_exception_only(exc) == [
        "ssecodec.SendTimeout: sending to the client took over 30 s\n"
    ]
    assert type(pickle.loads(pickle.dumps(exc))) is ssecodec.SendTimeout


def test_response_errors_take_their_attributes_as_keywords() -> None:
    import aiohttp
    import httpx
    import requests

    import ssecodec
    import ssecodec.aiohttp
    import ssecodec.client
    import ssecodec.httpx
    import ssecodec.requests

    fields: dict[str, Any] = {"status_code": 502, "content_type": "text/html", "body": b"<p>"}
    request = httpx.Request("GET", "http://example.org/")
    response = requests.Response()
    errors = [
        (ssecodec.httpx.SSEError("bad", request=request, **fields), httpx.TransportError),
        (ssecodec.requests.SSEError("bad", response=response, **fields), requests.RequestException),
        (ssecodec.aiohttp.SSEError("bad", **fields), aiohttp.ClientError),
        (ssecodec.client.EventSourceError("bad", **fields), ssecodec.SSEError),
    ]
    for exc, framework_error in errors:
        assert isinstance(exc, (ssecodec.SSEError, framework_error))
        assert str(exc) == "bad"
        assert (exc.status_code, exc.content_type, exc.body) == (502, "text/html", b"<p>")
        copied = pickle.loads(pickle.dumps(exc))
        assert (type(copied), copied.status_code, copied.body) == (type(exc), 502, b"<p>")
    assert errors[0][0].request is request  # type: ignore[attr-defined]
    assert errors[1][0].response is response  # type: ignore[attr-defined]
    aiohttp_error = errors[2][0]
    assert isinstance(aiohttp_error, ssecodec.aiohttp.SSEError)
    assert aiohttp_error.status == 502  # aiohttp's name
    aiohttp_error.status = 503
    assert aiohttp_error.status_code == 503


def test_framing_limit_exceeded_pickles_with_what_it_completed() -> None:
    """The relay's pass-through raises this subclass of LimitExceeded: it keeps its class and
    its own attribute (``complete``) through pickle."""
    import ssecodec.relay
    from ssecodec._framing import Framer

    with pytest.raises(ssecodec.relay.FramingLimitExceeded) as caught:
        Framer(max_event_size=10).feed(b"data: a\n\ndata: " + b"x" * 20)
    exc = caught.value
    assert exc.complete == b"data: a\n\n"
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        clone = pickle.loads(pickle.dumps(exc, protocol=protocol))
        assert type(clone) is ssecodec.relay.FramingLimitExceeded
        assert (str(clone), clone.limit_name, clone.limit, clone.size, clone.complete) == (
            str(exc),
            "max_event_size",
            10,
            exc.size,
            b"data: a\n\n",
        )


def test_upstream_error_is_a_response_error() -> None:
    import httpx

    import ssecodec
    from ssecodec._http import ResponseError
    from ssecodec.relay import UpstreamError

    headers = httpx.Headers({"Retry-After": "7"})
    exc = UpstreamError(
        "slow down", status_code=429, content_type="text/plain", headers=headers, body=b"wait"
    )
    assert isinstance(exc, ResponseError) and isinstance(exc, ssecodec.SSEError)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        clone = pickle.loads(pickle.dumps(exc, protocol=protocol))
        assert type(clone) is UpstreamError
        assert (str(clone), clone.status_code, clone.content_type, clone.body) == (
            "slow down",
            429,
            "text/plain",
            b"wait",
        )
        assert clone.headers == headers
