"""``python -m ssecodec``: decode, encode and get, run as real processes."""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
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


def raw_lines(output: bytes) -> list[dict[str, Any]]:
    """JSON lines with integers kept as their digits (json.loads refuses over 4,300)."""
    return [json.loads(line, parse_int=str) for line in output.decode("utf-8").splitlines()]


@pytest.mark.parametrize("digits", [4300, 4301, 100_000])
def test_decode_writes_any_valid_retry(tmp_path: Path, digits: int) -> None:
    """A retry of up to 100,000 digits is valid (the decoder keeps it): it is written whole,
    with the events before and after it."""
    big = "7" * digits
    stream = f"data: one\n\nretry: {big}\ndata: two\n\ndata: three\n\n".encode()
    path = tmp_path / "stream.txt"
    path.write_bytes(stream)
    for result in (cli("decode", str(path)), cli("decode", stdin=stream)):
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stderr == b""
        assert raw_lines(result.stdout) == [
            {"event": "message", "data": "one", "id": "", "retry": None},
            {"event": "message", "data": "two", "id": "", "retry": big},
            {"event": "message", "data": "three", "id": "", "retry": None},
        ]


def read_line(proc: subprocess.Popen[bytes], timeout: float = 10) -> bytes:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, f"no output within {timeout} s"
    return proc.stdout.readline()


def test_decode_streams_events_as_they_arrive() -> None:
    """Each event is out while the input is still open; a later failure keeps them."""
    with subprocess.Popen(
        [sys.executable, "-m", "ssecodec", "decode", "--max-line-size", "64"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            assert proc.stdin is not None
            proc.stdin.write(b"data: one\n\n")
            proc.stdin.flush()
            assert json.loads(read_line(proc))["data"] == "one"
            proc.stdin.write(b"retry: " + b"9" * 40)  # a retry split across reads
            proc.stdin.flush()
            time.sleep(0.1)
            proc.stdin.write(b"\ndata: two\n\n")
            proc.stdin.flush()
            assert json.loads(read_line(proc), parse_int=str)["retry"] == "9" * 40
            out, err = proc.communicate(b"data: three\n\ndata: " + b"x" * 100 + b"\n\n", 30)
        finally:
            proc.kill()
    assert proc.returncode == 1
    assert [json.loads(x)["data"] for x in out.splitlines()] == ["three"]
    assert b"max_line_size" in err and b"Traceback" not in err


@pytest.mark.parametrize("ms", ["9" * 400, "9223372037000"], ids=["400-digits", "past-timeout-max"])
def test_get_waits_out_a_huge_retry(starlette_server: Any, token: str, ms: str) -> None:
    """A server's retry beyond any clock is waited as the client's maximum delay: no
    traceback; Ctrl-C ends the wait as usual."""
    url = f"{starlette_server.url}/retry?token={token}&ms={ms}&times=3"
    with subprocess.Popen(
        [sys.executable, "-m", "ssecodec", "get", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            assert json.loads(read_line(proc))["data"] == "connection 1"
            with pytest.raises(subprocess.TimeoutExpired):
                proc.wait(timeout=2)  # waiting to reconnect, not crashed
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == 130, err.decode(errors="replace")
    assert b"Traceback" not in err and out == b""
    assert sseapps.PROBES[token].connections == 1


@pytest.mark.parametrize(
    "option",
    [
        ("--reconnection-time", "nan"),
        ("--min-backoff", "-1"),
        ("--max-backoff", "x"),
        ("--max-failures", "0"),
        ("--max-events", "0"),
        ("--last-event-id", "a\nb"),
    ],
)
def test_get_odd_options_are_usage_errors(option: tuple[str, str]) -> None:
    result = cli("get", "http://127.0.0.1:1/", *option)
    assert result.returncode == 2, result.stderr
    assert b"Traceback" not in result.stderr
    assert b"error" in result.stderr or b"ssecodec get: " in result.stderr


@pytest.mark.parametrize("value", ["inf", "1e300", "none"])
def test_get_huge_timeouts_mean_none(value: str) -> None:
    port = free_port()  # nothing listens: connection refused
    for option in ("--connect-timeout", "--read-timeout"):
        result = cli("get", f"http://127.0.0.1:{port}/", option, value, "--max-failures", "1")
        assert result.returncode == 1
        assert b"Traceback" not in result.stderr and b"gave up" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
