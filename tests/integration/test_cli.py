"""``python -m ssecodec``: decode, encode and get, run as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import sseapps

import ssecodec
from ssecodec import Event

STREAM = (
    b"\xef\xbb\xbf: hello\n\nretry: 250\nid: 1\nevent: greet\ndata: h\xc3\xa9\r\ndata: two\r\n\r\n"
    b"data: no id\rdata:\r\r"
    b"data: \xff bad\n\nid: 2\n\ndata: unfinished"
)


def cli(*args: str, stdin: bytes = b"", timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ssecodec", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def as_json(events: list[Event]) -> list[dict[str, Any]]:
    return [{"event": e.event, "data": e.data, "id": e.id, "retry": e.retry} for e in events]


def lines(output: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.decode("utf-8").splitlines()]


def expected_stream() -> list[dict[str, Any]]:
    decoder = ssecodec.Decoder()
    return as_json(decoder.feed(STREAM) + decoder.close())


def test_decode_file(tmp_path: Path) -> None:
    path = tmp_path / "stream.txt"
    path.write_bytes(STREAM)
    result = cli("decode", str(path))
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == expected_stream()
    assert len(expected_stream()) == 3


def test_decode_stdin() -> None:
    for args in (("decode",), ("decode", "-")):
        result = cli(*args, stdin=STREAM)
        assert result.returncode == 0, result.stderr
        assert lines(result.stdout) == expected_stream()


def test_decode_limit() -> None:
    result = cli("decode", "--max-line-size", "8", stdin=b"data: ok\n\ndata: far too long\n\n")
    assert result.returncode == 1
    assert lines(result.stdout) == [{"event": "message", "data": "ok", "id": "", "retry": None}]
    assert b"max_line_size" in result.stderr


def test_encode_round_trip() -> None:
    source = [
        {"data": "multi\nline", "event": "x", "id": "7", "retry": 100},
        "just data",
        {"data": {"k": [1, 2]}},
        {"comment": "keep-alive"},
        {"data": "", "id": ""},
    ]
    stdin = "\n".join(json.dumps(obj) for obj in source).encode() + b"\n\n"
    result = cli("encode", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"event: x\nid: 7\nretry: 100\ndata: multi\ndata: line\n\n")
    decoded = lines(cli("decode", stdin=result.stdout).stdout)
    assert decoded == [
        {"event": "x", "data": "multi\nline", "id": "7", "retry": 100},
        {"event": "message", "data": "just data", "id": "7", "retry": None},
        {"event": "message", "data": '{"k":[1,2]}', "id": "7", "retry": None},
        {"event": "message", "data": "", "id": "", "retry": None},
    ]


def test_encode_errors() -> None:
    result = cli("encode", stdin=b'"fine"\n{"event": "a\\nb", "data": "x"}\n')
    assert result.returncode == 1
    assert result.stdout == b"data: fine\n\n"
    assert b"line 2" in result.stderr and b"event" in result.stderr
    result = cli("encode", stdin=b"not json\n")
    assert result.returncode == 1 and b"line 1" in result.stderr


def test_usage_errors() -> None:
    assert cli().returncode == 2
    assert cli("decode", "--max-line-size", "-3").returncode == 2
    result = cli("decode", "/nonexistent/file")
    assert result.returncode == 1 and b"No such file" in result.stderr


def test_get_follows_and_resumes(starlette_server: Any, token: str) -> None:
    url = f"{starlette_server.url}/resume?token={token}&total=12&cut_every=4"
    result = cli("get", url, "--reconnection-time", "0.01", "--min-backoff", "0.01")
    assert result.returncode == 0, result.stderr
    got = lines(result.stdout)
    assert [e["id"] for e in got] == [str(i) for i in range(1, 13)]
    assert all(e["event"] == "resume" for e in got)
    assert sseapps.PROBES[token].connections == 4  # 2 cuts, a clean end, then 204


def test_get_headers_and_max_events(starlette_server: Any) -> None:
    url = f"{starlette_server.url}/headers"
    result = cli("get", url, "-H", "X-Test: yes", "--last-event-id", "41", "--max-events", "1")
    assert result.returncode == 0, result.stderr
    (event,) = lines(result.stdout)
    headers = json.loads(event["data"])
    assert headers["x-test"] == "yes"
    assert headers["last-event-id"] == "41"
    assert headers["accept"] == "text/event-stream"


def test_get_fails_on_wrong_response(starlette_server: Any) -> None:
    result = cli("get", f"{starlette_server.url}/wrong")
    assert result.returncode == 1
    assert b"HTTP 404" in result.stderr and b"Not here" in result.stderr
