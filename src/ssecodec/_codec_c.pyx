# cython: language_level=3, freethreading_compatible=True
# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Cython twin of the ssecodec core: the same names and behaviour as ``_codec_py.py``.

The decoder scans each chunk in place with ``memchr`` for CR and LF (each found once per
chunk position), parses field lines without copying, and decodes values straight from the
input buffer to ``str``. Only an unfinished line and the data of an unfinished event are
copied into owned C buffers, when a chunk ends. Behaviour is specified by ``_codec_py.py``
(the reference) and differentially tested against it.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_CheckExact,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.list cimport PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.ref cimport Py_INCREF
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport memchr, memcmp, memcpy

from ._errors import LimitExceeded, SSEError, limit_exceeded
from ._json import loads as _json_loads
from ._limits import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, check_limit
from ._numbers import int_repr, parse_retry, retry_text


cdef extern from "Python.h":
    ctypedef struct PyObject
    const char* PyUnicode_AsUTF8AndSize(object unicode, Py_ssize_t* size) except NULL
    const Py_ssize_t PY_SSIZE_T_MAX
    ctypedef unsigned char Py_UCS1
    ctypedef unsigned short Py_UCS2
    ctypedef unsigned int Py_UCS4
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void* PyUnicode_DATA(object unicode)
    void Py_DECREF(PyObject* o)


# The scanning loops (SSE2 16 bytes at a time, elsewhere 8-byte words): src/ssecodec/_scan.h.
cdef extern from "_scan.h":
    Py_ssize_t _ascii_prefix "ssecodec_ascii_prefix"(
        const unsigned char* p, Py_ssize_t n) noexcept nogil
    Py_ssize_t _ascii_to_ucs2 "ssecodec_ascii_to_ucs2"(
        Py_UCS2* out, Py_ssize_t room, const unsigned char* p, Py_ssize_t n) noexcept nogil
    Py_ssize_t _ascii_to_ucs4 "ssecodec_ascii_to_ucs4"(
        Py_UCS4* out, Py_ssize_t room, const unsigned char* p, Py_ssize_t n) noexcept nogil


cdef extern from *:
    """
    /* Events built field by field: Event's object layout, checked against the compiled class
       when the module is imported (_FAST_EVENTS). */
    typedef struct {
        PyObject_HEAD
        PyObject *data;
        PyObject *event;
        PyObject *id;
        PyObject *retry;
    } ssecodec_EventLayout;

    static int ssecodec_event_layout_ok(PyObject *type, PyObject *sample, PyObject *data,
                                        PyObject *event, PyObject *id, PyObject *retry)
    {
        ssecodec_EventLayout *o = (ssecodec_EventLayout *)sample;
        return ((PyTypeObject *)type)->tp_basicsize == (Py_ssize_t)sizeof(ssecodec_EventLayout)
            && ((PyTypeObject *)type)->tp_itemsize == 0
            && !PyType_IS_GC((PyTypeObject *)type)
            && o->data == data && o->event == event && o->id == id && o->retry == retry;
    }

    /* A list of the *n references in items, which it takes over, and *n set to 0. If the
       list cannot be made: NULL with an exception set, the references released. */
    static PyObject *ssecodec_list_take(PyObject **items, Py_ssize_t *n)
    {
        Py_ssize_t count = *n;
        PyObject *list = PyList_New(count);
        *n = 0;
        if (list == NULL) {
            while (count > 0)
                Py_DECREF(items[--count]);
        } else if (count > 0) {
            memcpy(((PyListObject *)list)->ob_item, items, (size_t)count * sizeof(PyObject *));
        }
        return list;
    }

    /* A new Event holding new references to the four fields; NULL with MemoryError set. */
    static PyObject *ssecodec_new_event(PyObject *type, PyObject *data, PyObject *event,
                                        PyObject *id, PyObject *retry)
    {
        ssecodec_EventLayout *o = (ssecodec_EventLayout *)PyObject_Malloc(
            sizeof(ssecodec_EventLayout));
        if (o == NULL)
            return PyErr_NoMemory();
        PyObject_Init((PyObject *)o, (PyTypeObject *)type);
        Py_INCREF(data);
        o->data = data;
        Py_INCREF(event);
        o->event = event;
        Py_INCREF(id);
        o->id = id;
        Py_INCREF(retry);
        o->retry = retry;
        return (PyObject *)o;
    }
    """
    bint _event_layout_ok "ssecodec_event_layout_ok"(
        PyObject* type, PyObject* sample, PyObject* data, PyObject* event, PyObject* id,
        PyObject* retry)
    PyObject* _new_event "ssecodec_new_event"(
        PyObject* type, PyObject* data, PyObject* event, PyObject* id, PyObject* retry) except NULL
    list _list_take "ssecodec_list_take"(PyObject** items, Py_ssize_t* n)


__all__ = [
    "Decoder",
    "Event",
    "aiter_events",
    "encode",
    "encode_comment",
    "encode_many",
    "iter_events",
]

cdef str _MESSAGE = "message"
cdef str _EMPTY = ""
cdef bytes _BOM = b"\xef\xbb\xbf"
cdef Py_ssize_t _SHRINK_ABOVE = 64 * 1024  # owned buffers larger than this are freed when idle


# --------------------------------------------------------------------------------------------
# Event


@cython.final
@cython.no_gc
cdef class Event:
    """One server-sent event: an immutable value.

    Args:
        data: the event's data (``data`` lines joined with LF).
        event: the event type; ``"message"`` when the stream named none.
        id: for decoded events, the last event ID at dispatch (``""`` if never set). When
            encoding, ``None`` writes no ``id`` line and ``""`` writes an explicit reset.
        retry: the reconnection time (ms) given inside this event's block, else ``None``.

    Events compare equal (and hash alike) when all four fields are equal.
    """

    # no_gc is safe: the fields only ever hold exact str, exact int or None (see __init__).
    cdef readonly str data
    cdef readonly str event
    cdef readonly object id
    cdef readonly object retry

    __match_args__ = ("data", "event", "id", "retry")

    def __init__(self, data="", *, event="message", id=None, retry=None):
        if not isinstance(data, str):
            raise TypeError(f"Event data must be str, not {type(data).__name__}")
        if not isinstance(event, str):
            raise TypeError(f"Event event must be str, not {type(event).__name__}")
        if id is not None and not isinstance(id, str):
            raise TypeError(f"Event id must be str or None, not {type(id).__name__}")
        if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int)):
            raise TypeError(f"Event retry must be int or None, not {type(retry).__name__}")
        self.data = data if type(data) is str else str.__str__(data)
        self.event = event if type(event) is str else str.__str__(event)
        self.id = id if id is None or type(id) is str else str.__str__(id)
        self.retry = retry if retry is None or type(retry) is int else int.__index__(retry)

    def __eq__(self, other):
        if type(other) is not Event:
            return NotImplemented
        cdef Event o = <Event>other
        return (
            self.data == o.data
            and self.event == o.event
            and self.id == o.id
            and self.retry == o.retry
        )

    def __ne__(self, other):
        result = self.__eq__(other)
        if result is NotImplemented:
            return result
        return not result

    def __hash__(self):
        return hash((self.data, self.event, self.id, self.retry))

    def __repr__(self):
        return (
            f"Event(data={self.data!r}, event={self.event!r}, id={self.id!r}, "
            f"retry={int_repr(self.retry)})"
        )

    def __reduce__(self):
        return (_rebuild_event, (self.data, self.event, self.id, self.retry))

    def __setattr__(self, name, value):
        raise AttributeError(f"Event is immutable; cannot set {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"Event is immutable; cannot delete {name!r}")

    def json(self):
        """Decode :attr:`data` as JSON (with orjson when it is installed).

        Raises ``json.JSONDecodeError`` (a ``ValueError``) when the data is not JSON.
        """
        return _json_loads(self.data)

    def encode(self):
        """Encode this event as one SSE block; the inverse of decoding it.

        Same as ``encode(self.data, event=..., id=self.id, retry=self.retry)``, with no
        ``event`` line for the default type ``"message"``.
        """
        return _encode_event(self)


cdef inline Event _make_event(str data, str event, object id, object retry):
    cdef Event obj = Event.__new__(Event)
    obj.data = data
    obj.event = event
    obj.id = id
    obj.retry = retry
    return obj


cdef bint _check_event_layout():
    cdef Event sample = _make_event("d", "e", "i", 1)
    return _event_layout_ok(<PyObject*>Event, <PyObject*>sample, <PyObject*>sample.data,
                            <PyObject*>sample.event, <PyObject*>sample.id,
                            <PyObject*>sample.retry)


# The decoder builds its events with _new_event (no tp_new call, no None placeholders) when
# the layout matches, which it does unless Cython changes how it lays out the class.
cdef bint _FAST_EVENTS = _check_event_layout()


def _rebuild_event(data, event, id, retry):
    return Event(data, event=event, id=id, retry=retry)


# --------------------------------------------------------------------------------------------
# UTF-8 to str
#
# CPython's PyUnicode_DecodeUTF8 starts every string as ASCII and widens (copying) at the first
# character that does not fit, which makes a 250-byte JSON payload with one emoji cost several
# times an ASCII one. _decode measures the string first (validating it, counting characters and
# finding the widest one), then writes it once at its final width. Anything that is not
# well-formed UTF-8 goes to PyUnicode_DecodeUTF8 with "replace", which defines the result (R3).

cdef Py_ssize_t _SHORT_TEXT = 16  # below this, PyUnicode_DecodeUTF8 is as fast


cdef inline bint _is_cont(unsigned char c) noexcept nogil:
    return (c & 0xC0) == 0x80


cdef Py_ssize_t _measure_utf8(const unsigned char* p, Py_ssize_t n, Py_ssize_t i,
                              Py_UCS4* maxchar) noexcept nogil:
    """Count the characters of p[:n] (the first i bytes being ASCII) and store the largest code
    point in maxchar; return -1 if the bytes are not well-formed UTF-8 (Unicode Table 3-7)."""
    cdef Py_ssize_t chars = i
    cdef Py_UCS4 top = 0x7F
    cdef Py_UCS4 cp
    cdef unsigned char c, c1
    cdef Py_ssize_t run
    while i < n:
        c = p[i]
        if c < 0x80:
            run = _ascii_prefix(p + i, n - i)
            i += run
            chars += run
            continue
        elif c < 0xC2:
            return -1
        elif c < 0xE0:
            if i + 1 >= n or not _is_cont(p[i + 1]):
                return -1
            cp = ((c & 0x1F) << 6) | (p[i + 1] & 0x3F)
            i += 2
        elif c < 0xF0:
            if i + 2 >= n:
                return -1
            c1 = p[i + 1]
            if c == 0xE0:
                if c1 < 0xA0 or c1 > 0xBF:
                    return -1
            elif c == 0xED:
                if c1 < 0x80 or c1 > 0x9F:  # UTF-16 surrogates are not characters
                    return -1
            elif not _is_cont(c1):
                return -1
            if not _is_cont(p[i + 2]):
                return -1
            cp = ((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (p[i + 2] & 0x3F)
            i += 3
        elif c < 0xF5:
            if i + 3 >= n:
                return -1
            c1 = p[i + 1]
            if c == 0xF0:
                if c1 < 0x90 or c1 > 0xBF:
                    return -1
            elif c == 0xF4:
                if c1 < 0x80 or c1 > 0x8F:
                    return -1
            elif not _is_cont(c1):
                return -1
            if not _is_cont(p[i + 2]) or not _is_cont(p[i + 3]):
                return -1
            cp = 0x10000  # any 4-byte character needs the widest kind
            i += 4
        else:
            return -1
        if c >= 0x80 and cp > top:
            top = cp
        chars += 1
    maxchar[0] = top
    return chars


cdef str _decode(const char* s, Py_ssize_t n):
    """Decode UTF-8 bytes to str exactly as bytes.decode("utf-8", "replace") does."""
    cdef const unsigned char* p = <const unsigned char*>s
    cdef Py_ssize_t ascii, chars, i, j, run
    cdef Py_UCS4 maxchar = 0
    cdef Py_UCS4 cp
    cdef unsigned char c
    cdef Py_UCS1* out1
    cdef Py_UCS2* out2
    cdef Py_UCS4* out4
    cdef str text
    if n < _SHORT_TEXT:
        return PyUnicode_DecodeUTF8(s, n, "replace")
    ascii = _ascii_prefix(p, n)
    if ascii == n:
        text = PyUnicode_New(n, 0x7F)
        memcpy(PyUnicode_DATA(text), s, <size_t>n)
        return text
    chars = _measure_utf8(p, n, ascii, &maxchar)
    if chars < 0:
        return PyUnicode_DecodeUTF8(s, n, "replace")
    text = PyUnicode_New(chars, maxchar)
    if maxchar < 0x100:
        out1 = <Py_UCS1*>PyUnicode_DATA(text)
        memcpy(out1, s, <size_t>ascii)
        i = ascii
        j = ascii
        while i < n:
            c = p[i]
            if c < 0x80:
                run = _ascii_prefix(p + i, n - i)
                memcpy(out1 + j, p + i, <size_t>run)
                i += run
                j += run
            else:  # only C2/C3 lead bytes give code points below 0x100
                out1[j] = <Py_UCS1>(((c & 0x1F) << 6) | (p[i + 1] & 0x3F))
                i += 2
                j += 1
        return text
    # Wider kinds: each ASCII run is scanned and widened in one pass.
    if maxchar < 0x10000:
        out2 = <Py_UCS2*>PyUnicode_DATA(text)
    else:
        out4 = <Py_UCS4*>PyUnicode_DATA(text)
    i = 0
    j = 0
    while i < n:
        c = p[i]
        if c < 0x80:
            if maxchar < 0x10000:
                run = _ascii_to_ucs2(out2 + j, chars - j, p + i, n - i)
            else:
                run = _ascii_to_ucs4(out4 + j, chars - j, p + i, n - i)
            i += run
            j += run
            continue
        elif c < 0xE0:
            cp = ((c & 0x1F) << 6) | (p[i + 1] & 0x3F)
            i += 2
        elif c < 0xF0:
            cp = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F)
            i += 3
        else:
            cp = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) \
                | (p[i + 3] & 0x3F)
            i += 4
        if maxchar < 0x10000:
            out2[j] = <Py_UCS2>cp
        else:
            out4[j] = cp
        j += 1
    return text


# --------------------------------------------------------------------------------------------
# Growable byte buffer (owned by a Decoder)


cdef struct ByteBuf:
    char* ptr
    Py_ssize_t size
    Py_ssize_t cap
    Py_ssize_t limit  # the decoder's limit for this buffer: doubling stops there (0: none)


cdef int _buf_reserve(ByteBuf* buf, Py_ssize_t extra) except -1:
    cdef Py_ssize_t need = buf.size + extra
    cdef Py_ssize_t cap
    cdef char* ptr
    if need <= buf.cap:
        return 0
    cap = buf.cap * 2 if buf.cap else 256
    if cap < need:
        cap = need
    if buf.limit and cap > buf.limit >= need:
        cap = buf.limit  # the decoder refuses more than this: do not allocate up to twice it
    ptr = <char*>PyMem_Realloc(buf.ptr, <size_t>cap)
    if ptr == NULL:
        raise MemoryError()
    buf.ptr = ptr
    buf.cap = cap
    return 0


cdef inline int _buf_append(ByteBuf* buf, const char* src, Py_ssize_t n) except -1:
    if n:
        _buf_reserve(buf, n)
        memcpy(buf.ptr + buf.size, src, <size_t>n)
        buf.size += n
    return 0


cdef inline void _buf_clear(ByteBuf* buf) noexcept:
    buf.size = 0
    if buf.cap > _SHRINK_ABOVE:
        PyMem_Free(buf.ptr)
        buf.ptr = NULL
        buf.cap = 0


cdef inline void _buf_free(ByteBuf* buf) noexcept:
    PyMem_Free(buf.ptr)
    buf.ptr = NULL
    buf.size = 0
    buf.cap = 0


# --------------------------------------------------------------------------------------------
# Decoder


cdef inline const char* _find(const char* p, const char* end, char c) noexcept nogil:
    cdef const char* hit = <const char*>memchr(p, c, <size_t>(end - p))
    return end if hit == NULL else hit


cdef class Decoder:
    """Incremental ``text/event-stream`` decoder: feed it bytes, get back events.

    One decoder per stream. It never does I/O (sans-I/O, like ``h11.Connection``) and is not
    thread-safe: use it from one thread at a time (on free-threaded Python, concurrent calls
    are serialised by a critical section and cannot corrupt memory, but their events may
    interleave arbitrarily).

    Args:
        max_line_size: longest line accepted, in bytes without its terminator
            (default :data:`DEFAULT_MAX_LINE_SIZE`, 32 MiB). ``None`` disables the limit.
        max_event_size: largest event data accepted, counted as the bytes of its ``data``
            values plus one per ``data`` line (default :data:`DEFAULT_MAX_EVENT_SIZE`,
            64 MiB). ``None`` disables the limit.

    The defaults let a 16 MiB image sent base64-encoded on one ``data:`` line through while
    bounding memory per stream to about ``max_line_size + max_event_size``.

    When a limit is crossed, the event being assembled is dropped, everything up to the next
    blank line is skipped (the decoder resynchronises there), the rest of the chunk is still
    decoded, and then :class:`LimitExceeded` is raised with ``.events`` holding every event
    that chunk completed. The decoder can keep being fed afterwards.
    """

    cdef Py_ssize_t _max_line_size  # -1: no limit
    cdef Py_ssize_t _max_event_size  # -1: no limit
    cdef bytes _bom_prefix  # None once the leading-BOM question is settled (R2)
    cdef ByteBuf _line  # the unfinished line, across chunk ends
    cdef bint _pending_cr  # the last chunk ended in CR: a leading LF is its pair (R7)
    cdef bint _skip_line  # the unfinished line is over the limit: drop its bytes
    cdef bint _in_line  # a line begun in an earlier chunk is unfinished (kept or skipped)
    cdef bint _discarding  # drop every line up to the next blank line
    cdef bint _closed
    # The data buffer. Values are stored joined by LF (no trailing LF). While an event's only
    # data line lies inside the chunk being fed, it is referenced in place (_ref) instead.
    cdef ByteBuf _data
    cdef Py_ssize_t _data_start  # the data begin here in _data (after a line buffer swap)
    cdef Py_ssize_t _data_lines
    cdef Py_ssize_t _data_size  # sum of len(value) + 1 over the data lines
    cdef const char* _ref
    cdef Py_ssize_t _ref_len
    cdef bint _has_ref
    cdef str _event_type
    cdef bytes _event_type_raw  # the bytes of the latest event field value ...
    cdef str _cached_event_type  # ... and its decoded str, reused while the value repeats
    cdef str _id_buffer
    cdef str _last_event_id
    cdef object _retry
    cdef object _block_retry
    cdef object _violation
    # The events of the chunk being fed (new references), moved into the returned list at the
    # end of feed(): no list growth per event. The array's capacity is kept across feeds.
    cdef PyObject** _out
    cdef Py_ssize_t _out_len
    cdef Py_ssize_t _out_cap

    def __cinit__(self):
        self._line.ptr = NULL
        self._line.size = 0
        self._line.cap = 0
        self._data.ptr = NULL
        self._data.size = 0
        self._data.cap = 0
        self._line.limit = 0
        self._data.limit = 0
        self._out = NULL
        self._out_len = 0
        self._out_cap = 0

    @cython.critical_section  # __init__ may be called again: it frees the buffers
    def __init__(
        self, *, max_line_size=DEFAULT_MAX_LINE_SIZE, max_event_size=DEFAULT_MAX_EVENT_SIZE
    ):
        line_limit = check_limit("max_line_size", max_line_size)
        event_limit = check_limit("max_event_size", max_event_size)
        cdef object largest = PY_SSIZE_T_MAX
        self._max_line_size = -1 if line_limit is None else min(line_limit, largest)
        self._max_event_size = -1 if event_limit is None else min(event_limit, largest)
        # __init__ may be called again on a used decoder: start from a clean stream, as the
        # Python twin does (stale bytes would otherwise leak into the next line or event).
        _buf_free(&self._line)
        _buf_free(&self._data)
        self._drop_events()
        self._line.limit = max(self._max_line_size, 0)
        self._data.limit = max(self._max_event_size, 0)
        self._bom_prefix = b""
        self._pending_cr = False
        self._skip_line = False
        self._in_line = False
        self._discarding = False
        self._closed = False
        self._data_lines = 0
        self._data_size = 0
        self._data_start = 0
        self._has_ref = False
        self._event_type = _EMPTY
        self._event_type_raw = b""
        self._cached_event_type = _EMPTY
        self._id_buffer = _EMPTY
        self._last_event_id = _EMPTY
        self._retry = None
        self._block_retry = None
        self._violation = None

    def __dealloc__(self):
        _buf_free(&self._line)
        _buf_free(&self._data)
        self._drop_events()
        PyMem_Free(self._out)

    # The getters lock too: on free-threaded builds, reading an object field while another
    # thread's feed() replaces (and frees) it would be a use-after-free.
    @property
    def last_event_id(self):
        """The last event ID string as of the latest blank line (R18); ``""`` if none.

        This is what a reconnecting client sends as ``Last-Event-ID``.
        """
        with cython.critical_section(self):
            return self._last_event_id

    @property
    def retry(self):
        """The latest valid ``retry`` value seen (R16), in milliseconds; ``None`` if none."""
        with cython.critical_section(self):
            return self._retry

    @cython.critical_section
    @cython.binding(False)  # a plain C method: no CyFunction or bound-method layer per call
    @cython.embedsignature(True)
    @cython.embedsignature.format("clinic")  # __text_signature__, for inspect.signature()
    def feed(self, data, /):  # METH_O: one positional-only argument
        """Decode the next chunk of the stream and return the events it completed.

        Chunks may split the stream anywhere (inside CRLF, a BOM or a UTF-8 character): the
        result depends only on the concatenated bytes. A CR ending the chunk ends its line at
        once, so an event whose blank line ends in CR is returned by this call.

        Raises:
            TypeError: ``data`` is not bytes-like.
            LimitExceeded: a limit was crossed; see the class docstring. The exception's
                ``events`` attribute holds the events this chunk completed.
            SSEError: the decoder was closed.
        """
        cdef Py_buffer view
        cdef list events
        cdef bytes buf
        if self._closed:
            raise SSEError("feed() called after close()")
        if self._bom_prefix is not None:
            buf = self._bom_prefix + _as_bytes(data)
            if PyBytes_GET_SIZE(buf) < 3 and _BOM.startswith(buf):
                self._bom_prefix = buf  # could still be a BOM split across chunks (R2)
                return []
            self._bom_prefix = None
            if buf.startswith(_BOM):
                buf = buf[3:]
            events = self._feed(PyBytes_AS_STRING(buf), PyBytes_GET_SIZE(buf))
        elif PyBytes_CheckExact(data):
            events = self._feed(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
        else:
            if isinstance(data, str):
                raise TypeError(
                    "feed() takes bytes, bytearray or memoryview, not str (encode it first)"
                )
            try:
                PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
            except BufferError:  # e.g. a non-contiguous memoryview
                buf = _as_bytes(data)
                events = self._feed(PyBytes_AS_STRING(buf), PyBytes_GET_SIZE(buf))
            except TypeError:
                raise TypeError(
                    f"feed() takes bytes, bytearray or memoryview, not {type(data).__name__}"
                ) from None
            else:
                try:
                    events = self._feed(<const char*>view.buf, view.len)
                finally:
                    PyBuffer_Release(&view)
        violation = self._violation
        if violation is not None:
            self._violation = None
            raise limit_exceeded(*violation, events)
        return events

    @cython.critical_section
    def close(self):
        """End of stream: discard the unfinished line and event (R23); further feeds raise.

        Returns the events completed by the end of the stream, which is always an empty list
        (an event needs its blank line, and a final CR already completed its line in
        ``feed``); it is a list so that callers can treat it like ``feed``. Idempotent.
        """
        self._closed = True
        self._drop_events()
        _buf_free(&self._line)
        self._skip_line = False
        self._in_line = False
        self._discarding = False
        self._pending_cr = False
        self._reset_block()
        _buf_free(&self._data)
        return []

    @cython.final
    cdef list _feed(self, const char* start, Py_ssize_t n):
        cdef const char* cur = start
        cdef const char* end = start + n
        cdef const char* next_lf
        cdef const char* next_cr
        cdef const char* eol
        cdef Py_ssize_t size
        if self._out_len:  # left by a feed() that raised: those events are lost with it
            self._drop_events()
        if n == 0:
            return []
        if self._pending_cr:
            self._pending_cr = False
            if cur[0] == b'\n':
                cur += 1  # second half of a CRLF split across chunks (R7)
        next_lf = _find(cur, end, b'\n')
        next_cr = _find(cur, end, b'\r')
        try:
            while cur < end:
                if next_lf < cur:
                    # A blank line right after a line is common: skip the memchr call.
                    next_lf = cur if cur[0] == b'\n' else _find(cur, end, b'\n')
                if next_cr < cur:
                    next_cr = _find(cur, end, b'\r')
                eol = next_lf if next_lf < next_cr else next_cr
                if eol == end:
                    self._keep_partial_line(cur, end - cur)
                    break
                if self._in_line:
                    self._finish_partial_line(cur, eol - cur)
                elif eol == cur:  # a blank line (R9)
                    self._dispatch()
                else:
                    size = eol - cur
                    if self._max_line_size >= 0 and size > self._max_line_size:
                        self._violate("max_line_size", self._max_line_size, size)
                    else:
                        self._process_line(cur, size, True)
                if eol[0] == b'\r':
                    if eol + 1 == end:
                        self._pending_cr = True
                        cur = end
                    elif eol[1] == b'\n':
                        cur = eol + 2
                    else:
                        cur = eol + 1
                else:
                    cur = eol + 1
        finally:
            if self._has_ref:  # the chunk goes away: keep our own copy of the pending data
                self._flush_ref()
        return self._take_events()

    @cython.final
    cdef inline int _push_event(self, PyObject* event) except -1:
        """Append a new reference to the chunk's events (released here if that fails)."""
        cdef Py_ssize_t cap
        cdef PyObject** grown
        if self._out_len == self._out_cap:
            cap = self._out_cap * 2 if self._out_cap else 16
            grown = <PyObject**>PyMem_Realloc(self._out, <size_t>cap * sizeof(PyObject*))
            if grown == NULL:
                Py_DECREF(event)
                raise MemoryError()
            self._out = grown
            self._out_cap = cap
        self._out[self._out_len] = event
        self._out_len += 1
        return 0

    @cython.final
    cdef list _take_events(self):
        """The chunk's events as a list of exactly their number, the array left empty."""
        cdef list events = _list_take(self._out, &self._out_len)
        if self._out_cap * <Py_ssize_t>sizeof(PyObject*) > _SHRINK_ABOVE:
            PyMem_Free(self._out)
            self._out = NULL
            self._out_cap = 0
        return events

    @cython.final
    cdef void _drop_events(self) noexcept:
        cdef Py_ssize_t i
        cdef Py_ssize_t n = self._out_len
        self._out_len = 0
        for i in range(n):
            Py_DECREF(self._out[i])

    @cython.final
    cdef int _keep_partial_line(self, const char* p, Py_ssize_t n) except -1:
        """The chunk ends inside a line: copy the line's bytes so far."""
        cdef Py_ssize_t size
        self._in_line = True
        if self._skip_line:
            return 0
        size = self._line.size + n
        if self._max_line_size >= 0 and size > self._max_line_size:
            self._violate("max_line_size", self._max_line_size, size)
            self._skip_line = True
            _buf_clear(&self._line)
            return 0
        _buf_append(&self._line, p, n)
        return 0

    @cython.final
    cdef int _finish_partial_line(self, const char* p, Py_ssize_t n) except -1:
        """p[:n] ends the line begun in an earlier chunk: process the whole line."""
        cdef Py_ssize_t size
        self._in_line = False
        if self._skip_line:
            self._skip_line = False
            _buf_clear(&self._line)
            return 0
        size = self._line.size + n
        if self._max_line_size >= 0 and size > self._max_line_size:
            self._violate("max_line_size", self._max_line_size, size)
            _buf_clear(&self._line)
            return 0
        _buf_append(&self._line, p, n)
        try:
            self._process_line(self._line.ptr, self._line.size, False)
        finally:
            _buf_clear(&self._line)
        return 0

    @cython.final
    cdef int _flush_ref(self) except -1:
        """Copy the referenced data line out of the chunk into the data buffer."""
        self._has_ref = False
        _buf_append(&self._data, self._ref, self._ref_len)
        return 0

    @cython.final
    cdef int _violate(self, str limit_name, Py_ssize_t limit, Py_ssize_t size) except -1:
        if self._violation is None:
            self._violation = (limit_name, limit, size)
        self._reset_block()
        _buf_clear(&self._data)  # the dropped event's bytes: give a large buffer back now
        self._discarding = True
        return 0

    @cython.final
    cdef inline void _reset_block(self) noexcept:
        self._data_lines = 0
        self._data_size = 0
        self._has_ref = False
        self._data.size = 0
        self._data_start = 0
        if self._event_type is not _EMPTY:
            self._event_type = _EMPTY
        if self._block_retry is not None:
            self._block_retry = None

    @cython.final
    cdef int _process_line(self, const char* p, Py_ssize_t n, bint in_place) except -1:
        cdef const char* colon
        cdef const char* value
        cdef Py_ssize_t name_len, value_len
        if n == 0:  # R9
            return self._dispatch()
        if self._discarding or p[0] == b':':  # R10
            return 0
        if n >= 5 and memcmp(p, b"data:", 5) == 0:  # the common case, without a memchr
            if n > 5 and p[5] == b' ':
                return self._append_data(p + 6, n - 6, in_place)
            return self._append_data(p + 5, n - 5, in_place)
        colon = <const char*>memchr(p, b':', <size_t>n)
        if colon == NULL:  # R12
            name_len = n
            value = p + n
            value_len = 0
        else:  # R11
            name_len = colon - p
            value = colon + 1
            value_len = n - name_len - 1
            if value_len and value[0] == b' ':
                value += 1
                value_len -= 1
        if name_len == 4:
            if memcmp(p, b"data", 4) == 0:
                return self._append_data(value, value_len, in_place)
        elif name_len == 5:
            if memcmp(p, b"event", 5) == 0:
                self._set_event_type(value, value_len)
            elif memcmp(p, b"retry", 5) == 0:
                self._set_retry(value, value_len)
        elif name_len == 2:
            if p[0] == b'i' and p[1] == b'd':  # R15
                if memchr(value, 0, <size_t>value_len) == NULL:
                    self._id_buffer = PyUnicode_DecodeUTF8(value, value_len, "replace")
        return 0  # R17: any other name is ignored

    @cython.final
    cdef inline int _append_data(
        self, const char* value, Py_ssize_t n, bint in_place
    ) except -1:  # R14
        cdef Py_ssize_t size = self._data_size + n + 1
        if in_place and self._data_lines == 0 and (
            self._max_event_size < 0 or size <= self._max_event_size
        ):  # the usual first data line: referenced where it lies in the chunk
            self._ref = value
            self._ref_len = n
            self._has_ref = True
            self._data_lines = 1
            self._data_size = size
            return 0
        return self._append_data_copy(value, n)

    @cython.final
    cdef int _append_data_copy(self, const char* value, Py_ssize_t n) except -1:
        """_append_data's other cases: over the limit, a later data line, or the first one
        in the line buffer."""
        cdef Py_ssize_t size = self._data_size + n + 1
        if self._max_event_size >= 0 and size > self._max_event_size:
            return self._violate("max_event_size", self._max_event_size, size)
        if self._data_lines == 0:  # so not in_place (_append_data took that case)
            # The value lies in the line buffer (a line that spanned chunks): adopt that
            # buffer as the data buffer instead of copying a possibly large value.
            self._data, self._line = self._line, self._data
            self._data.limit, self._line.limit = self._line.limit, self._data.limit
            self._data_start = value - self._data.ptr
            self._data.size = self._data_start + n
        else:
            if self._has_ref:
                self._flush_ref()
            _buf_reserve(&self._data, n + 1)
            self._data.ptr[self._data.size] = b'\n'
            self._data.size += 1
            _buf_append(&self._data, value, n)
        self._data_lines += 1
        self._data_size = size
        return 0

    @cython.final
    cdef int _set_event_type(self, const char* value, Py_ssize_t n) except -1:  # R13
        cdef bytes raw = self._event_type_raw
        if PyBytes_GET_SIZE(raw) != n or memcmp(PyBytes_AS_STRING(raw), value, <size_t>n) != 0:
            raw = PyBytes_FromStringAndSize(value, n)
            self._event_type_raw = raw
            self._cached_event_type = PyUnicode_DecodeUTF8(value, n, "replace")
        self._event_type = self._cached_event_type
        return 0

    @cython.final
    cdef int _set_retry(self, const char* value, Py_ssize_t n) except -1:  # R16
        cdef Py_ssize_t i = 0
        cdef unsigned long long number = 0
        cdef char c
        if n == 0:
            return 0
        while i < n and value[i] == 48:  # leading '0'
            i += 1
        if n - i <= 18:
            for j in range(i, n):
                c = value[j]
                if c < 48 or c > 57:  # not an ASCII digit
                    return 0
                number = number * 10 + <unsigned long long>(c - 48)
            retry = number
        else:
            retry = parse_retry(PyBytes_FromStringAndSize(value, n))
            if retry is None:
                return 0
        self._retry = retry
        self._block_retry = retry
        return 0

    @cython.final
    cdef int _dispatch(self) except -1:
        cdef str data
        cdef str event_type
        if self._last_event_id is not self._id_buffer:
            self._last_event_id = self._id_buffer  # R18, even for a block without data
        if self._discarding:  # the dropped event's blank line: resynchronised
            self._discarding = False
            self._reset_block()
            return 0
        if self._data_lines:  # R19: no data line since the last dispatch -> no event
            if self._has_ref:
                data = _decode(self._ref, self._ref_len)
            elif self._data.size == self._data_start:  # empty, maybe never allocated: no NULL + 0
                data = _EMPTY
            else:
                data = _decode(
                    self._data.ptr + self._data_start, self._data.size - self._data_start
                )
            event_type = self._event_type if self._event_type else _MESSAGE
            if _FAST_EVENTS:  # R20 (joined without a final LF), R21
                self._push_event(_new_event(
                    <PyObject*>Event, <PyObject*>data, <PyObject*>event_type,
                    <PyObject*>self._last_event_id, <PyObject*>self._block_retry,
                ))
            else:
                event = _make_event(data, event_type, self._last_event_id, self._block_retry)
                Py_INCREF(event)
                self._push_event(<PyObject*>event)
            if self._data.cap > _SHRINK_ABOVE:
                _buf_free(&self._data)
        self._reset_block()  # R22
        return 0


cdef bytes _as_bytes(object data):
    if PyBytes_CheckExact(data):
        return <bytes>data
    if isinstance(data, str):
        raise TypeError("feed() takes bytes, bytearray or memoryview, not str (encode it first)")
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError(
            f"feed() takes bytes, bytearray or memoryview, not {type(data).__name__}"
        ) from None


def iter_events(chunks, *, decoder=None, **decoder_options):
    """Decode an iterable of byte chunks (e.g. ``response.iter_bytes()``) into events.

    ``decoder_options`` go to a new :class:`Decoder`; or pass a ``decoder`` made beforehand
    (without options), to read its ``last_event_id`` and ``retry`` while iterating. At the
    end of the chunks the decoder is closed: the unfinished event is discarded (R23). If a
    limit is crossed, the events that chunk completed are yielded first, then
    :class:`LimitExceeded` is raised.

    Raises (on the first ``next()``, as the chunks are only read then):
        TypeError: ``decoder`` is not a :class:`Decoder`, or comes with ``decoder_options``.
    """
    decoder = _decoder_for(decoder, decoder_options)
    for chunk in chunks:
        try:
            events = decoder.feed(chunk)
        except LimitExceeded as exc:
            yield from exc.events
            raise
        yield from events
    yield from decoder.close()


async def aiter_events(chunks, *, decoder=None, **decoder_options):
    """Async twin of :func:`iter_events`, for ``response.aiter_bytes()`` and the like."""
    decoder = _decoder_for(decoder, decoder_options)
    async for chunk in chunks:
        try:
            events = decoder.feed(chunk)
        except LimitExceeded as exc:
            for event in exc.events:
                yield event
            raise
        for event in events:
            yield event
    for event in decoder.close():
        yield event


cdef Decoder _decoder_for(object decoder, dict decoder_options):
    """The decoder :func:`iter_events` feeds: a new one, or the caller's."""
    if decoder is None:
        return Decoder(**decoder_options)
    if not isinstance(decoder, Decoder):
        raise TypeError(f"decoder must be a Decoder, not {type(decoder).__name__}")
    if decoder_options:
        raise TypeError("pass decoder options or a decoder, not both")
    return <Decoder>decoder


# --------------------------------------------------------------------------------------------
# Encoder: validate and measure every field first, then write into one bytes object.


cdef struct Fields:
    const char* comment
    Py_ssize_t comment_len
    Py_ssize_t comment_lines  # 0: no comment
    Py_ssize_t comment_empty_lines
    const char* event
    Py_ssize_t event_len
    const char* id
    Py_ssize_t id_len
    bint has_id
    const char* retry
    Py_ssize_t retry_len
    bint has_retry
    const char* data
    Py_ssize_t data_len
    Py_ssize_t data_lines  # 0: no data
    Py_ssize_t size


cdef Py_ssize_t _count_line_breaks(const char* p, Py_ssize_t n, Py_ssize_t* break_bytes) noexcept:
    """Count the lines of p[:n] split on CRLF/CR/LF; store the terminator bytes in break_bytes."""
    cdef const char* cur = p
    cdef const char* end = p + n
    cdef const char* lf = _find(cur, end, b'\n')
    cdef const char* cr = _find(cur, end, b'\r')
    cdef const char* eol
    cdef Py_ssize_t lines = 1
    cdef Py_ssize_t nbytes = 0
    while True:
        if lf < cur:
            lf = _find(cur, end, b'\n')
        if cr < cur:
            cr = _find(cur, end, b'\r')
        eol = lf if lf < cr else cr
        if eol == end:
            break
        lines += 1
        if eol[0] == b'\r' and eol + 1 < end and eol[1] == b'\n':
            nbytes += 2
            cur = eol + 2
        else:
            nbytes += 1
            cur = eol + 1
    break_bytes[0] = nbytes
    return lines


cdef Py_ssize_t _count_empty_lines(const char* p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t empty = 0
    cdef bint at_start = True
    cdef char c
    while i < n:
        c = p[i]
        if c == b'\r' or c == b'\n':
            if at_start:
                empty += 1
            if c == b'\r' and i + 1 < n and p[i + 1] == b'\n':
                i += 1
            at_start = True
        else:
            at_start = False
        i += 1
    if at_start:
        empty += 1
    return empty


cdef char* _write_lines(char* out, const char* prefix, Py_ssize_t prefix_len,
                        const char* p, Py_ssize_t n, bint bare_empty) noexcept:
    """Write each line of p[:n] as prefix + line + LF; with bare_empty, an empty line gets
    only prefix[0] (a comment's ':')."""
    cdef const char* cur = p
    cdef const char* end = p + n
    cdef const char* lf = _find(cur, end, b'\n')
    cdef const char* cr = _find(cur, end, b'\r')
    cdef const char* eol
    cdef Py_ssize_t length
    while True:
        if lf < cur:
            lf = _find(cur, end, b'\n')
        if cr < cur:
            cr = _find(cur, end, b'\r')
        eol = lf if lf < cr else cr
        length = eol - cur
        if bare_empty and length == 0:
            out[0] = prefix[0]
            out += 1
        else:
            memcpy(out, prefix, <size_t>prefix_len)
            out += prefix_len
            memcpy(out, cur, <size_t>length)
            out += length
        out[0] = b'\n'
        out += 1
        if eol == end:
            return out
        if eol[0] == b'\r' and eol + 1 < end and eol[1] == b'\n':
            cur = eol + 2
        else:
            cur = eol + 1


cdef const char* _utf8(str field, object value, Py_ssize_t* n) except NULL:
    if not isinstance(value, str):
        raise TypeError(f"{field} must be str, not {type(value).__name__}")
    try:
        return PyUnicode_AsUTF8AndSize(value, n)
    except UnicodeEncodeError:
        raise ValueError(f"{field} is not encodable as UTF-8 (lone surrogate)") from None


cdef const char* _single_line(str field, object value, Py_ssize_t* n, bint forbid_nul) except NULL:
    cdef const char* p = _utf8(field, value, n)
    if memchr(p, b'\r', <size_t>n[0]) != NULL or memchr(p, b'\n', <size_t>n[0]) != NULL:
        raise ValueError(f"{field} must not contain CR or LF: {str.__repr__(value)}")
    if forbid_nul and memchr(p, 0, <size_t>n[0]) != NULL:
        raise ValueError(
            f"{field} must not contain NUL (the decoder would ignore it): {str.__repr__(value)}"
        )
    return p


cdef inline bint _is_ascii(const char* p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    for i in range(n):
        if <unsigned char>p[i] >= 0x80:
            return False
    return True


cdef const char* _text(str field, object value, Py_ssize_t* n, list keepalive) except NULL:
    """UTF-8 bytes of a str, or of UTF-8 validated bytes-like data."""
    cdef const char* p
    cdef bytes raw
    if field == "data" and isinstance(value, (bytes, bytearray, memoryview)):
        raw = value if PyBytes_CheckExact(value) else bytes(value)
        p = PyBytes_AS_STRING(raw)
        n[0] = PyBytes_GET_SIZE(raw)
        if not _is_ascii(p, n[0]):
            try:
                PyUnicode_DecodeUTF8(p, n[0], "strict")
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{field} is not valid UTF-8: {exc.reason} at byte {exc.start}"
                ) from None
        keepalive.append(raw)
        return p
    return _utf8(field, value, n)


cdef int _prepare(Fields* f, object data, object event, object id, object retry,
                  object comment, list keepalive) except -1:
    """Validate the fields (in the order the Python twin does) and compute the output size."""
    cdef Py_ssize_t breaks = 0
    cdef Py_ssize_t size = 1  # the blank line
    f.comment_lines = 0
    f.event_len = 0
    f.has_id = False
    f.has_retry = False
    f.data_lines = 0
    if comment is not None:
        f.comment = _text("comment", comment, &f.comment_len, keepalive)
        f.comment_lines = _count_line_breaks(f.comment, f.comment_len, &breaks)
        f.comment_empty_lines = _count_empty_lines(f.comment, f.comment_len)
        size += f.comment_len - breaks + 3 * f.comment_lines - f.comment_empty_lines
    if event is not None:
        f.event = _single_line("event", event, &f.event_len, False)
        if f.event_len:
            size += 8 + f.event_len
    if id is not None:
        f.id = _single_line("id", id, &f.id_len, True)
        f.has_id = True
        size += 5 + f.id_len
    if retry is not None:
        if type(retry) is int and 0 <= retry < 1_000_000_000_000_000_000:
            text = str(retry).encode("ascii")  # the common case: retry_text would write this
        else:
            text = retry_text(retry).encode("ascii")  # shared with the Python twin
        keepalive.append(text)
        f.retry = PyBytes_AS_STRING(text)
        f.retry_len = PyBytes_GET_SIZE(text)
        f.has_retry = True
        size += 8 + f.retry_len
    if data is not None:
        f.data = _text("data", data, &f.data_len, keepalive)
        f.data_lines = _count_line_breaks(f.data, f.data_len, &breaks)
        size += f.data_len - breaks + 7 * f.data_lines
    f.size = size
    return 0


cdef char* _write(char* out, Fields* f) noexcept:
    if f.comment_lines:
        out = _write_lines(out, b": ", 2, f.comment, f.comment_len, True)
    if f.event_len:
        memcpy(out, b"event: ", 7)
        memcpy(out + 7, f.event, <size_t>f.event_len)
        out += 7 + f.event_len
        out[0] = b'\n'
        out += 1
    if f.has_id:
        memcpy(out, b"id: ", 4)
        memcpy(out + 4, f.id, <size_t>f.id_len)
        out += 4 + f.id_len
        out[0] = b'\n'
        out += 1
    if f.has_retry:
        memcpy(out, b"retry: ", 7)
        memcpy(out + 7, f.retry, <size_t>f.retry_len)
        out += 7 + f.retry_len
        out[0] = b'\n'
        out += 1
    if f.data_lines:
        out = _write_lines(out, b"data: ", 6, f.data, f.data_len, False)
    out[0] = b'\n'
    return out + 1


cdef bytes _encode_fields(object data, object event, object id, object retry, object comment):
    cdef Fields f
    cdef list keepalive = []
    _prepare(&f, data, event, id, retry, comment, keepalive)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, f.size)
    _write(PyBytes_AS_STRING(out), &f)
    return out


cdef bytes _encode_event(Event ev):
    return _encode_fields(
        ev.data, None if ev.event == _MESSAGE else ev.event, ev.id, ev.retry, None
    )


def encode(data=None, *, event=None, id=None, retry=None, comment=None):
    """Encode one event as an SSE block (UTF-8, LF line ends, ending in a blank line).

    Args:
        data: ``str``, or UTF-8 ``bytes``; split on CRLF, CR and LF into one ``data:`` line
            each, so the decoder joins them back with LF. ``""`` sends an event with empty
            data; ``None`` sends no data line (and so no event: a block with only ``id`` or
            ``retry`` is a checkpoint).
        event: the event type; ``None`` or ``""`` writes no ``event`` line (type
            ``"message"``).
        id: ``None`` writes no ``id`` line; ``""`` resets the client's last event ID.
        retry: reconnection time in ms, a non-negative int.
        comment: text sent as ``:`` comment lines before the fields (one per line).

    Raises:
        TypeError: a field has the wrong type (``retry`` must be an int, not a bool).
        ValueError: ``event`` or ``id`` contains CR or LF, ``id`` contains NUL, ``retry`` is
            negative, ``data`` bytes are not UTF-8, or a str holds a lone surrogate. The
            message names the field.
    """
    return _encode_fields(data, event, id, retry, comment)


def encode_many(events):
    """Encode several :class:`Event` objects into one buffer (``Event.encode`` each, joined)."""
    cdef list items = events if type(events) is list else list(events)
    cdef Py_ssize_t count = PyList_GET_SIZE(items)
    cdef Py_ssize_t i
    cdef Py_ssize_t total = 0
    cdef Fields* fields
    cdef list keepalive = []
    cdef Event ev
    cdef char* out
    cdef bytes result
    if count == 0:
        return b""
    fields = <Fields*>PyMem_Malloc(<size_t>count * sizeof(Fields))
    if fields == NULL:
        raise MemoryError()
    try:
        for i in range(count):
            item = items[i]
            if type(item) is not Event:
                raise TypeError(f"encode_many() takes Event objects, not {type(item).__name__}")
            ev = <Event>item
            _prepare(&fields[i], ev.data, None if ev.event == _MESSAGE else ev.event,
                     ev.id, ev.retry, None, keepalive)
            total += fields[i].size
        result = PyBytes_FromStringAndSize(NULL, total)
        out = PyBytes_AS_STRING(result)
        for i in range(count):
            out = _write(out, &fields[i])
        return result
    finally:
        PyMem_Free(fields)


def encode_comment(text=""):
    """Encode a comment (e.g. a keep-alive): one ``:`` line per line of ``text``.

    Comments are ignored by clients (R10) and dispatch nothing, so this may be sent between
    events at any time. ``encode_comment()`` gives ``b":\\n"``.
    """
    cdef Fields f
    cdef list keepalive = []
    cdef Py_ssize_t breaks = 0
    cdef Py_ssize_t size
    f.comment = _text("comment", text, &f.comment_len, keepalive)
    f.comment_lines = _count_line_breaks(f.comment, f.comment_len, &breaks)
    f.comment_empty_lines = _count_empty_lines(f.comment, f.comment_len)
    size = f.comment_len - breaks + 3 * f.comment_lines - f.comment_empty_lines
    cdef bytes out = PyBytes_FromStringAndSize(NULL, size)
    _write_lines(PyBytes_AS_STRING(out), b": ", 2, f.comment, f.comment_len, True)
    return out
