"""Exact decimal <-> int conversion for ``retry`` values of any length.

CPython refuses ``int(s)`` and ``str(n)`` beyond 4300 digits (``sys.get_int_max_str_digits``)
and is quadratic near that size; the spec (R16) allows any number of digits. These helpers
split long numbers in halves so the work stays close to linear and never raises.
"""

from __future__ import annotations

from typing import TypeGuard

_SMALL = 1000  # digits that int()/str() handle quickly and under the default limit
MAX_RETRY_DIGITS = 100_000
"""Significant digits beyond which a ``retry`` value is ignored (see ``parse_retry``)."""

_pow10_cache: dict[int, int] = {}


def _pow10(k: int) -> int:
    p = _pow10_cache.get(k)
    if p is None:
        p = _pow10_cache[k] = 10**k
    return p


def _digits_to_int(digits: bytes) -> int:
    n = len(digits)
    if n <= _SMALL:
        return int(digits)
    low = n // 2
    return _digits_to_int(digits[:-low]) * _pow10(low) + _digits_to_int(digits[-low:])


def parse_retry(value: bytes) -> int | None:
    """Parse a ``retry`` field value (raw bytes) per R16, or return ``None`` to ignore it.

    Valid values are one or more ASCII digits. Leading zeros are dropped; a value with more
    than :data:`MAX_RETRY_DIGITS` significant digits (a reconnection delay beyond any clock)
    is ignored instead of spending super-linear time on it.
    """
    if not value or not value.isdigit():  # bytes.isdigit() is ASCII 0-9 only
        return None
    stripped = value.lstrip(b"0")
    if len(stripped) > MAX_RETRY_DIGITS:
        return None
    return _digits_to_int(stripped) if stripped else 0


def format_retry(value: int) -> str:
    """Decimal text of a non-negative ``retry`` int of any size the decoder accepts back.

    Raises ``ValueError`` when ``value`` has more than :data:`MAX_RETRY_DIGITS` digits, since
    the decoder would ignore it (the encoder never writes what does not decode back).
    """
    if value < _pow10(_SMALL):
        return str(value)
    if value >= _pow10(MAX_RETRY_DIGITS):
        raise ValueError(f"retry must have at most {MAX_RETRY_DIGITS} digits")
    return _format_big(value)


def is_retry_int(value: object) -> TypeGuard[int]:
    """Whether ``value`` may be a ``retry``: an ``int`` (or subclass) that is not a ``bool``.

    Judged by the real type, as the Cython twin's checks do: an object whose ``__class__``
    merely claims ``int`` is not one.
    """
    kind = type(value)
    return issubclass(kind, int) and not issubclass(kind, bool)


def retry_text(value: object) -> str:
    """Check the encoder's ``retry`` argument and return the decimal text to write.

    Both twins call this, so they accept, refuse and write exactly the same values. An ``int``
    subclass (an ``IntEnum`` member, say) counts by its integer value alone: its own
    ``__str__``, ``__format__`` or comparisons never reach the output, where they could
    write ``R.SLOW`` (Python 3.10's ``IntEnum``) or a line break that injects fields.

    Raises:
        TypeError: ``value`` is not an ``int``, or is a ``bool``.
        ValueError: ``value`` is negative, or has more than :data:`MAX_RETRY_DIGITS` digits.
    """
    if not is_retry_int(value):
        raise TypeError(f"retry must be int, not {type(value).__name__}")
    number = int.__index__(value)  # an exact int, whatever a subclass overrides
    if number < 0:
        shown = str(number) if number > -_pow10(_SMALL) else "a negative number"
        raise ValueError(f"retry must be >= 0, not {shown}")
    return format_retry(number)


def _format_big(value: int) -> str:
    if value < _pow10(_SMALL):
        return str(value)
    k = (value.bit_length() * 30103 // 100000) // 2  # about half the decimal digits
    high, low = divmod(value, _pow10(k))
    return _format_big(high) + _format_big(low).rjust(k, "0")


def int_repr(value: int | None) -> str:
    """``repr`` of a retry value, also beyond ``sys.get_int_max_str_digits()`` (where ``repr``
    raises): a decoded retry may have up to 100,000 digits (R16)."""
    if value is None:
        return "None"
    if value < 0:
        return "-" + _format_big(-value)
    return _format_big(value)
