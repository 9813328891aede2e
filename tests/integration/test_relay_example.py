"""``examples/llm_gateway.py``: the FastAPI gateway relaying a mock OpenAI-compatible upstream."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from conftest import UvicornServer
from ssecodec import Decoder

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm_gateway.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llm_gateway", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gateway_url(example: ModuleType) -> Iterator[str]:
    upstream = UvicornServer(example.mock_upstream(delay=0.0)).start()
    gateway = UvicornServer(example.gateway(f"{upstream.url}/v1"), lifespan="on").start()
    yield gateway.url
    gateway.stop()
    upstream.stop()


def chat(url: str, **extra: Any) -> httpx.Response:
    request = {"model": "mock-1", "messages": [{"role": "user", "content": "hi"}], **extra}
    with httpx.Client(timeout=10) as client:
        return client.post(f"{url}/v1/chat/completions", json=request)


def test_gateway_relays_and_counts_tokens(example: ModuleType, gateway_url: str) -> None:
    response = chat(gateway_url, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-accel-buffering"] == "no"
    stream_id = response.headers["x-gateway-stream"]
    events = Decoder().feed(response.content)
    assert events[-1].data == "[DONE]"
    text = "".join(
        choice["delta"].get("content", "")
        for event in events[:-1]
        for choice in event.json()["choices"]
    )
    assert text == example.REPLY
    with httpx.Client(timeout=10) as client:
        stats = client.get(f"{gateway_url}/stats").json()
    counted = stats["streams"][stream_id]
    assert counted == {
        "model": "mock-1",
        "tokens": len(example.REPLY.split(" ")),
        "content_deltas": len(example.REPLY.split(" ")),
        "done": True,
    }


def test_gateway_prefers_reported_usage(example: ModuleType, gateway_url: str) -> None:
    response = chat(gateway_url, stream=True, stream_options={"include_usage": True})
    events = Decoder().feed(response.content)
    assert events[-2].json()["usage"]["completion_tokens"] == len(example.REPLY.split(" "))
    with httpx.Client(timeout=10) as client:
        stats = client.get(f"{gateway_url}/stats").json()
    assert stats["streams"][response.headers["x-gateway-stream"]]["done"] is True


def test_gateway_plain_request(example: ModuleType, gateway_url: str) -> None:
    response = chat(gateway_url)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == example.REPLY


def test_demo_from_the_readme() -> None:
    """``python examples/llm_gateway.py --demo`` starts everything, streams, exits."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--demo", "--delay", "0"],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Server-sent events are a simple way" in done.stdout
    assert '"total_tokens": 26' in done.stdout
