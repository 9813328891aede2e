"""Hypothesis strategies shared by the property and the differential tests: pieces of field
values, chosen for the edge cases of UTF-8, BOM and number handling."""

from __future__ import annotations

from hypothesis import strategies as st

PIECES = [
    b"",
    b"x",
    b"\x00",
    b" ",
    b"  ",
    b":",
    b"\t",
    b"\xef\xbb\xbf",  # BOM
    b"\xef\xbb",  # partial BOM
    b"\xef",
    b"\xc3\xa9",  # é
    b"\xc3",  # truncated
    b"\xe2\x82\xac",  # €
    b"\xe2\x82",
    b"\xf0\x9f\x98\x80",  # 😀
    b"\xf0\x9f\x98",
    b"\xf0\x9f",
    b"\xed\xa0\x80",  # encoded surrogate
    b"\xc0\xaf",  # overlong
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xff",
    b"\x80",
    b"\xe2\x80\xa8",  # U+2028
    b"\xc2\x85",  # NEL
    b"\x85",
    b"\x0b\x0c\x1c",  # line breaks to str.splitlines, not to SSE
    b"007",
    b"-1",
    b"1.5",
    b"\xd9\xa1",  # ARABIC-INDIC DIGIT ONE
    b"x" * 40,  # longer than the small limits
    b"\xc3\xa9" * 20,
]
piece = st.one_of(
    st.sampled_from(PIECES),
    st.binary(max_size=8),
    st.integers(0, 10**25).map(lambda n: str(n).encode()),  # past 2**64
    st.text(max_size=4).map(str.encode),
)
# A field value: a few pieces joined.
value = st.lists(piece, max_size=5).map(b"".join)

# Whole parts of SSE streams (field lines, line ends, comments, BOM and its pieces, broken
# UTF-8), for the framing tests: joined at random, they make streams with every kind of line
# end, unfinished event and leading BOM.
FRAMING_PARTS = [
    b"data: a",
    b"data",
    b"data:",
    b"data:  two spaces",
    b"\n",
    b"\r",
    b"\r\n",
    b": c",
    b":",
    b": ping",
    b"id: 1",
    b"id: 2",
    b"id",
    b"id: \x00x",
    b"event: x",
    b"event",
    b"retry: 5",
    b"retry: 70",
    b"retry: x",
    b"\xef\xbb\xbf",  # BOM
    b"\xef",
    b"\xbb",
    b"\xc3\xa9",
    b"\xff",
    b"d",
    b" ",
    b"\x00",
    b"data:\xe2\x82",
]
framing_streams = st.lists(st.sampled_from(FRAMING_PARTS), max_size=40).map(b"".join)
