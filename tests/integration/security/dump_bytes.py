"""Hand-made dumps for the load tests: headers and binary COPY bodies field by field."""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence

from sg.domain.dump_header import FORMAT_VERSION, MAGIC, DumpHeader
from sg.domain.model import ColumnSpec

COPY_HEAD = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">II", 0, 0)
TRAILER = b"\xff\xff"
SOME_ID = "o" + "ab" * 31


def raw_header(document: bytes) -> bytes:
    """A header prefix around any JSON bytes."""
    return MAGIC + struct.pack(">HI", FORMAT_VERSION, len(document)) + document


def header(columns: Sequence[ColumnSpec], rows: int, object_id: str = SOME_ID) -> bytes:
    """A well-formed header."""
    return DumpHeader(object_id, tuple(columns), rows).encode()  # type: ignore[arg-type]


def field(data: bytes | None) -> bytes:
    """One length-prefixed field (-1 for NULL)."""
    return struct.pack(">i", -1) if data is None else struct.pack(">i", len(data)) + data


def row(*fields: bytes | None) -> bytes:
    """One tuple."""
    return struct.pack(">h", len(fields)) + b"".join(field(f) for f in fields)


def int4(value: int) -> bytes:
    """int4send."""
    return struct.pack(">i", value)


def int4_array(ndim: int, flags: int, dims: Sequence[tuple[int, int]], items: bytes) -> bytes:
    """array_send of an int4 array, any fields allowed."""
    head = struct.pack(">iiI", ndim, flags, 23)
    return head + b"".join(struct.pack(">ii", size, lower) for size, lower in dims) + items


def tuples(body: bytes) -> list[bytes]:
    """The tuples of a binary COPY body (after its 19-byte header, before the trailer)."""
    found: list[bytes] = []
    at = len(COPY_HEAD)
    while True:
        (count,) = struct.unpack_from(">h", body, at)
        if count == -1:
            return found
        end = at + 2
        for _ in range(count):
            (length,) = struct.unpack_from(">i", body, end)
            end += 4 + max(length, 0)
        found.append(body[at:end])
        at = end


class EndlessStream(io.RawIOBase):
    """`prefix`, then `filler` repeated up to `total` bytes; counts what was read."""

    def __init__(self, prefix: bytes, filler: bytes, total: int) -> None:
        self._prefix = prefix
        self._filler = filler * max(1, (1 << 20) // len(filler))
        self._total = total
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._total - self.read_bytes)
        if wanted <= 0:
            return 0
        out = bytearray()
        at = self.read_bytes
        if at < len(self._prefix):
            out += self._prefix[at : at + wanted]
        while len(out) < wanted:
            offset = (at + len(out) - len(self._prefix)) % len(self._filler)
            out += self._filler[offset : offset + wanted - len(out)]
        buffer[: len(out)] = out
        self.read_bytes += len(out)
        return len(out)
