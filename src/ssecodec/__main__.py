"""Command line: ``python -m ssecodec {decode,encode,get}``.

``decode [FILE|-]``
    Read an event stream (a file, or standard input as it arrives) and print one JSON object
    per event: ``{"event": ..., "data": ..., "id": ..., "retry": ...}``, written as soon as it
    is decoded (``retry`` is a JSON integer, of up to 100,000 digits).
``encode [FILE|-]``
    Read JSON lines (objects with the keys ``data``, ``event``, ``id``, ``retry``,
    ``comment``, or plain JSON strings, taken as data) and write the event stream.
``get URL``
    Follow a live stream with the reconnecting client (:mod:`ssecodec.client`, needs httpx)
    and print its events as JSON lines.

Exit status: 0 on success (for ``get``: the server answered 204, or ``--max-events`` was
reached), 1 on an error (message on standard error), 2 on a usage error, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any, BinaryIO

from ssecodec import (
    DEFAULT_MAX_EVENT_SIZE,
    DEFAULT_MAX_LINE_SIZE,
    Event,
    LimitExceeded,
    __version__,
    encode,
    iter_events,
)
from ssecodec._items import encode_fields
from ssecodec._numbers import int_repr

_READ_SIZE = 64 * 1024


class _UsageError(Exception):
    pass


def _event_json(event: Event) -> bytes:
    """One JSON line: ``{"event": ..., "data": ..., "id": ..., "retry": ...}``.

    ``retry`` is written by :func:`int_repr`, not ``json.dumps``, which refuses integers over
    ``sys.get_int_max_str_digits()`` (4,300) digits; a decoded ``retry`` may have 100,000.
    """
    head = json.dumps(
        {"event": event.event, "data": event.data, "id": event.id}, ensure_ascii=False
    )
    retry = "null" if event.retry is None else int_repr(event.retry)
    return f'{head[:-1]}, "retry": {retry}}}\n'.encode()


def _at_least_one(text: str, kind: str, alternative: str = "") -> int:
    """``text`` as an int >= 1; the errors name ``kind`` and the ``alternative`` spelling."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {kind}: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1{alternative}: {text!r}")
    return value


def _limit(text: str) -> int | None:
    if text.lower() in {"none", "0", "off"}:
        return None
    return _at_least_one(text, "a number of bytes", " (or 'none')")


def _open_input(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    return open(path, "rb")


def _chunks(stream: BinaryIO, out: BinaryIO) -> Iterator[bytes]:
    """What is available, as it arrives (``read1``), so live pipes are decoded live; before
    each read, ``out`` is flushed, so readers see the events as they decode."""
    read = getattr(stream, "read1", stream.read)
    while True:
        out.flush()
        chunk = read(_READ_SIZE)
        if not chunk:
            return
        yield chunk


def _decode(args: argparse.Namespace, out: BinaryIO) -> int:
    stream = _open_input(args.file)
    try:
        events = iter_events(
            _chunks(stream, out),
            max_line_size=args.max_line_size,
            max_event_size=args.max_event_size,
        )
        for event in events:
            out.write(_event_json(event))
    except LimitExceeded as exc:  # after the events before it
        out.flush()
        print(f"ssecodec decode: {exc}", file=sys.stderr)
        return 1
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return 0


def _encode_line(obj: Any) -> bytes:
    if isinstance(obj, str):
        return encode(obj)
    if not isinstance(obj, dict):
        raise _UsageError(f"expected a JSON object or string, got {type(obj).__name__}")
    return encode_fields(obj)


def _encode(args: argparse.Namespace, out: BinaryIO) -> int:
    stream = _open_input(args.file)
    try:
        for number, raw in enumerate(iter(stream.readline, b""), 1):
            line = raw.strip()
            if not line:
                continue
            try:
                out.write(_encode_line(json.loads(line)))
            except (ValueError, TypeError, _UsageError) as exc:
                print(f"ssecodec encode: line {number}: {exc}", file=sys.stderr)
                return 1
            out.flush()
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return 0


_MAX_TIMEOUT = 86_400.0  # longer counts as no timeout (sockets refuse ~300 years and more)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:  # negative, or NaN
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0: {text!r}")
    return value


def _timeout(text: str) -> float | None:
    if text.lower() in {"none", "off"}:
        return None
    value = _seconds(text)
    return None if value > _MAX_TIMEOUT else value


def _count(text: str) -> int:
    return _at_least_one(text, "a whole number")


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a header is 'Name: value', not {text!r}")
    return name.strip(), value.strip()


def _get(args: argparse.Namespace, out: BinaryIO) -> int:
    import httpx

    from ssecodec.client import EventSource, EventSourceError

    timeout = httpx.Timeout(args.connect_timeout, read=args.read_timeout)
    count = 0
    client = httpx.Client(timeout=timeout)
    try:
        source = EventSource(
            args.url,
            client=client,
            headers=dict(args.header),
            last_event_id=args.last_event_id,
            reconnection_time=args.reconnection_time,
            min_backoff=args.min_backoff,
            max_backoff=args.max_backoff,
            max_failures=args.max_failures,
            max_line_size=args.max_line_size,
            max_event_size=args.max_event_size,
        )
    except ValueError as exc:  # e.g. a --last-event-id no header can carry
        client.close()
        print(f"ssecodec get: {exc}", file=sys.stderr)
        return 2
    with client, source:
        try:
            for event in source:
                out.write(_event_json(event))
                out.flush()
                count += 1
                if args.max_events is not None and count >= args.max_events:
                    break
        except (EventSourceError, LimitExceeded, httpx.HTTPError, httpx.InvalidURL) as exc:
            print(f"ssecodec get: {exc}", file=sys.stderr)
            return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ssecodec",
        description="Decode, encode and follow Server-Sent Events streams.",
    )
    parser.add_argument("--version", action="version", version=f"ssecodec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def limits(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--max-line-size",
            type=_limit,
            default=DEFAULT_MAX_LINE_SIZE,
            metavar="BYTES",
            help="longest line accepted ('none' for no limit)",
        )
        sub.add_argument(
            "--max-event-size",
            type=_limit,
            default=DEFAULT_MAX_EVENT_SIZE,
            metavar="BYTES",
            help="largest event data accepted ('none' for no limit)",
        )

    decode = commands.add_parser(
        "decode",
        help="event stream -> JSON lines",
        description="Decode an event stream into JSON lines {event, data, id, retry}.",
    )
    decode.add_argument("file", nargs="?", default="-", metavar="FILE|-")
    limits(decode)

    enc = commands.add_parser(
        "encode",
        help="JSON lines -> event stream",
        description="Encode JSON lines (objects with data/event/id/retry/comment, or strings) "
        "into an event stream.",
    )
    enc.add_argument("file", nargs="?", default="-", metavar="FILE|-")

    get = commands.add_parser(
        "get",
        help="follow a live stream (reconnecting) and print JSON lines",
        description="Follow a live event stream with the reconnecting EventSource client "
        "and print its events as JSON lines. Needs httpx.",
    )
    get.add_argument("url")
    get.add_argument(
        "-H",
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header (repeatable)",
    )
    get.add_argument(
        "--last-event-id",
        default="",
        metavar="ID",
        help="resume after this id (sent as Last-Event-ID)",
    )
    get.add_argument(
        "--max-events", type=_count, default=None, metavar="N", help="stop after N events"
    )
    get.add_argument(
        "--reconnection-time",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="wait before reconnecting until the server sends retry (default 1; "
        "no wait is longer than a day)",
    )
    get.add_argument(
        "--min-backoff",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="first delay after a failed attempt (default 1)",
    )
    get.add_argument(
        "--max-backoff",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="longest delay between failed attempts (default 30)",
    )
    get.add_argument(
        "--max-failures",
        type=_count,
        default=None,
        metavar="N",
        help="give up after N failed attempts in a row (default: never)",
    )
    get.add_argument(
        "--connect-timeout",
        type=_timeout,
        default=10.0,
        metavar="SECONDS",
        help="default 10; 'none' (or over a day) for no timeout",
    )
    get.add_argument(
        "--read-timeout",
        type=_timeout,
        default=60.0,
        metavar="SECONDS",
        help="reconnect when nothing arrives for this long (default 60; 'none' "
        "or over a day for no timeout)",
    )
    limits(get)
    return parser


def main(argv: Sequence[str] | None = None, out: IO[bytes] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    output: Any = sys.stdout.buffer if out is None else out
    commands = {"decode": _decode, "encode": _encode, "get": _get}
    try:
        return commands[args.command](args, output)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"ssecodec {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
