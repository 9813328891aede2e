#!/usr/bin/env python3
"""Atheris (libFuzzer) harness for ssecodec: the compiled decoder and encoder, checked against
the pure-Python twin on every input.

Input layout: byte 0 chooses the target and the chunking, byte 1 the limits and how chunks are
passed; the rest is the payload.

* decoder (byte 0 & 3 != 3): the payload is an SSE stream, cut into chunks by a PRNG seeded
  from byte 0 (from 1-byte chunks to whole). Checks: both twins give identical events, state
  and errors feed by feed (LimitExceeded with the same attributes and events); with limits
  off, the Cython twin gives the same result for the stream fed whole (chunking invariance).
* encoder (byte 0 & 3 == 3): the payload is split into data, event, id, comment (UTF-8 with
  surrogates let through) and a retry int. Checks: both twins return the same bytes or raise
  the same exception type and message; bytes decode back to exactly the event given.

Run (see ``make fuzz`` / ``make fuzz-smoke``)::

    python fuzz/fuzz_codec.py fuzz/work fuzz/corpus -runs=1000000

A finding is an uncaught exception (a twin difference raises ``AssertionError``) or, in the
sanitizer build (``make asan``), a memory error report. libFuzzer writes the input that caused
it to ``crash-<sha1>``; replay it with ``python fuzz/fuzz_codec.py crash-<sha1>``.
"""

from __future__ import annotations

import os
import pickle
import random
import sys

import atheris

if os.environ.get("SSECODEC_FUZZ_INSTRUMENT_PY", "1") == "1":
    with atheris.instrument_imports():  # coverage of the pure twin guides the fuzzer
        from ssecodec import _codec_py as py
        from ssecodec import _errors, _numbers  # noqa: F401
else:  # the C code is instrumented (make fuzz SANITIZE=1): that coverage is enough, and faster
    from ssecodec import _codec_py as py
    from ssecodec import _errors

from ssecodec import _codec_c as c  # native: coverage needs the instrumented build (make asan)

LIMITS = [None, 1, 8, 64, 1024]


def _chunks(payload: bytes, seed: int) -> list[bytes]:
    style = seed % 4
    if style == 0 or len(payload) < 2:
        return [payload]
    if style == 1:  # byte by byte (the first 256 bytes: the pure twin is slow per call)
        return [payload[i : i + 1] for i in range(min(len(payload), 256))] + [payload[256:]]
    rng = random.Random(seed)
    top = 8 if style == 2 else max(2, len(payload) // 2)
    out, i = [], 0
    while i < len(payload):
        n = rng.randint(1, top)
        out.append(payload[i : i + n])
        i += n
    return out


def _as_arg(chunk: bytes, kind: int) -> object:
    if kind == 1:
        return bytearray(chunk)
    if kind == 2:
        return memoryview(chunk)
    if kind == 3:
        return memoryview(b"#" + chunk)[1:]  # a view that does not start at its buffer
    return chunk


def _events(events: list) -> list[tuple]:
    return [(e.data, e.event, e.id, e.retry) for e in events]


def _run_decoder(mod, chunks: list[bytes], kinds: int, line_limit, event_limit) -> list:
    decoder = mod.Decoder(max_line_size=line_limit, max_event_size=event_limit)
    trace: list = []
    for i, chunk in enumerate(chunks):
        try:
            trace.append(_events(decoder.feed(_as_arg(chunk, (kinds >> (i % 4)) % 4))))
        except _errors.LimitExceeded as exc:
            trace.append(("limit", exc.limit_name, exc.limit, exc.size, _events(exc.events)))
    trace.append(_events(decoder.close()))
    trace.append((decoder.last_event_id, decoder.retry))
    return trace


def _flat_events(trace: list) -> list:
    out = []
    for step in trace[:-1]:
        out.extend(step[4] if step and step[0] == "limit" else step)
    return out


def _check_events(events: list) -> None:
    """Event objects of the Cython twin behave like values and like the pure twin's."""
    for e in events:
        twin = py.Event(e.data, event=e.event, id=e.id, retry=e.retry)
        same = c.Event(e.data, event=e.event, id=e.id, retry=e.retry)
        if not (e == same and hash(e) == hash(same) and repr(e) == repr(twin)):
            raise AssertionError(f"event value semantics: {e!r} / {same!r} / {twin!r}")
        if pickle.loads(pickle.dumps(e)) != e or e.encode() != twin.encode():
            raise AssertionError(f"event pickle/encode: {e!r}")


def check_decoder(b0: int, b1: int, payload: bytes) -> None:
    chunks = _chunks(payload, b0 >> 2)
    line_limit = LIMITS[b1 % 5]
    event_limit = LIMITS[(b1 // 5) % 5]
    kinds = b1 // 25
    got_c = _run_decoder(c, chunks, kinds, line_limit, event_limit)
    got_py = _run_decoder(py, chunks, kinds, line_limit, event_limit)
    if got_c != got_py:
        raise AssertionError(f"twins differ:\n c: {got_c!r}\npy: {got_py!r}")
    if line_limit is None and event_limit is None:
        if len(chunks) > 1:
            whole = _run_decoder(c, [payload], 0, None, None)
            if _flat_events(whole) != _flat_events(got_c) or whole[-1] != got_c[-1]:
                raise AssertionError(f"chunking changes the result:\n{whole!r}\n{got_c!r}")
        events = list(c.iter_events(chunks, max_line_size=None, max_event_size=None))
        if _events(events) != _flat_events(got_c):
            raise AssertionError(f"iter_events differs: {events!r}")
        _check_events(events[:8])


def _text(fdp: atheris.FuzzedDataProvider, n: int) -> object:
    kind = fdp.ConsumeIntInRange(0, 4)
    raw = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, n))
    if kind == 0:
        return None
    if kind == 4:
        return raw  # bytes: valid for data (if UTF-8), a TypeError elsewhere
    return raw.decode("utf-8", "surrogateescape")  # may hold lone surrogates


def _call(mod, args: dict) -> tuple:
    try:
        return ("ok", mod.encode(**args))
    except (ValueError, TypeError) as exc:
        return (type(exc).__name__, str(exc))


def _call_comment(mod, text: object) -> tuple:
    try:
        return ("ok", mod.encode_comment(text) if text is not None else mod.encode_comment())
    except (ValueError, TypeError) as exc:
        return (type(exc).__name__, str(exc))


def check_event_encode(args: dict, encoded: bytes) -> None:
    """Event.encode and encode_many agree with encode (no comment) in both twins."""
    event = args["event"]
    kwargs = {k: args[k] for k in ("id", "retry")}
    bare = None if event in (None, "", "message") else event
    plain = c.encode(args["data"], event=bare, **kwargs)
    for mod in (c, py):
        ev = mod.Event(args["data"], event=event or "message", **kwargs)
        if ev.encode() != plain or mod.encode_many([ev, ev]) != plain * 2:
            raise AssertionError(f"{mod.__name__}: Event.encode/encode_many differ for {args!r}")
    if args["comment"] is None and encoded != c.encode(args["data"], event=event, **kwargs):
        raise AssertionError("encode is not deterministic")


def check_encoder(payload: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(payload)
    args = {
        "event": _text(fdp, 16),
        "id": _text(fdp, 16),
        "comment": _text(fdp, 32),
    }
    retry_kind = fdp.ConsumeIntInRange(0, 3)
    args["retry"] = (
        None
        if retry_kind == 0
        else fdp.ConsumeIntInRange(0, 2**64)
        if retry_kind == 1
        else -fdp.ConsumeIntInRange(1, 10)
        if retry_kind == 2
        else 10 ** fdp.ConsumeIntInRange(0, 3000) - fdp.ConsumeIntInRange(0, 1)
    )
    args["data"] = _text(fdp, 4096)
    got_c, got_py = _call(c, args), _call(py, args)
    if got_c != got_py:
        raise AssertionError(f"encoders differ for {args!r}:\n c: {got_c!r}\npy: {got_py!r}")
    comment_c = _call_comment(c, args["comment"])
    if comment_c != _call_comment(py, args["comment"]):
        raise AssertionError(f"encode_comment differs for {args['comment']!r}")
    if got_c[0] != "ok":
        return
    if isinstance(args["data"], str):
        check_event_encode(args, got_c[1])
    decoder = c.Decoder(max_line_size=None, max_event_size=None)
    events = _events(decoder.feed(got_c[1]) + decoder.close())
    data = args["data"]
    expected_id = args["id"] if args["id"] is not None else ""
    if data is None:
        expected = []
    else:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        expected = [(text, args["event"] or "message", expected_id, args["retry"])]
    if events != expected or decoder.last_event_id != expected_id:
        raise AssertionError(f"round trip of {args!r}: {got_c[1]!r} -> {events!r}")
    if decoder.retry != args["retry"]:
        raise AssertionError(f"retry {args['retry']!r} -> {decoder.retry!r}")


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:
        return
    b0, b1, payload = data[0], data[1], data[2:]
    if b0 & 3 == 3:
        check_encoder(payload)
    else:
        check_decoder(b0, b1, payload)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
