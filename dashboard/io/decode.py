"""A file's bytes as UTF-8 text, or the reason they are not, for every text format we read.

Spreadsheets save CSV in several encodings; the common ones are recognised by their
byte-order mark, and what cannot be text (empty, binary, zip archives that are not the
workbooks ``io.spreadsheet`` reads, legacy encodings) is refused with a message saying where and
what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..core.model import REQUIRED_COLUMNS, Problem, ValidationError


@dataclass(frozen=True)
class Wanted:
    """How problems name the kind of file expected."""

    text: str  # "CSV text": what the bytes should have been
    empty: str  # what an empty file should have held
    save_as: str  # how to save the file properly, as the user's program calls it
    sheet: str  # what to save from a workbook


CSV_FILE = Wanted(
    "CSV text",
    f"a CSV file with a header line naming the columns ({', '.join(REQUIRED_COLUMNS)}, ...)",
    "'CSV UTF-8'",
    "the sheet",
)
TIMELINEJS_FILE = Wanted(
    "text", "TimelineJS data (a CSV of the spreadsheet template or TimelineJS JSON)", "UTF-8", "the TimelineJS sheet"
)

_NON_SPACE = re.compile(rb"\S")


def _refuse(name: str, line: int | None, expected: str) -> ValidationError:
    return ValidationError(name, [Problem(line, None, None, expected)])


def utf8_bytes(data: bytes, name: str, wanted: Wanted) -> tuple[bytes, int]:
    """UTF-8 bytes and where the text starts (after a BOM); ValidationError for empty or binary input.

    Large files are not copied; whether the text is valid UTF-8 is left to the reader (which may ask
    :func:`is_utf8`, copying nothing), and only when it is not is the file decoded whole
    (:func:`utf8_text`) to say where.
    """
    offset = 0
    if data.startswith(b"\xef\xbb\xbf"):
        offset = 3
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise _refuse(name, None, "UTF-16 text after the UTF-16 byte-order mark") from None
    if not _NON_SPACE.search(data, offset):
        raise _refuse(name, None, f"{wanted.empty}: the file is empty")
    if data.startswith(b"PK\x03\x04"):
        raise _refuse(
            name,
            None,
            f"{wanted.text}: this is a zip archive, but not an .xlsx or .ods workbook; "
            f"save {wanted.sheet} as 'CSV UTF-8' and load that",
        )
    nul = data.find(b"\x00", offset)
    if nul >= 0:
        raise _refuse(
            name, data.count(b"\n", offset, nul) + 1, f"{wanted.text}: the file holds binary data (a NUL byte)"
        )
    return data, offset


def is_utf8(data: bytes, offset: int = 0) -> bool:
    """Whether the bytes after ``offset`` are UTF-8 text: Arrow's validation of them as one string,
    copying nothing (7 ms for 23 MB here; Python's decoder takes 45 ms and a copy as text)."""
    size = len(data) - offset
    if size <= 0:
        return True
    ends = pa.py_buffer(np.array([0, size], dtype=np.int64).tobytes())
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, ends, pa.py_buffer(data).slice(offset)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def utf8_text(data: bytes, offset: int, name: str, wanted: Wanted) -> str:
    """The text after ``offset``; ValidationError naming the line of the first byte that is not UTF-8."""
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        pos = offset + exc.start
        bad = data[pos : pos + 1].hex().upper()
        raise _refuse(
            name,
            data.count(b"\n", offset, pos) + 1,
            f"UTF-8 text: byte 0x{bad} is not UTF-8 (the file may be in a legacy encoding such as "
            f"Windows-1252); save it as {wanted.save_as}",
        ) from None


def sniff_text(head: bytes) -> str:
    """The start of a file as text, for telling its format: after a UTF-8 BOM, or decoded from UTF-16
    after its BOM; what is not UTF-8 becomes U+FFFD."""
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:].decode("utf-8", errors="replace")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8", errors="replace")
