"""Binary COPY streams: their framing, one pump that moves them in chunks, one digest of them.

The pump writes to a `CopyWriter` (the shape of psycopg's `Writer`: `write`, then `finish`):
a file, a `COPY ... FROM STDIN`, or either of them with a digest watching the bytes pass.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import IO, Protocol

from psycopg.abc import Buffer

from sg.domain.content_digest import BlockDigest
from sg.domain.errors import CorruptDumpError

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_HEADER = struct.Struct(">11sII")  # signature, flags, length of the header extension
COPY_TRAILER = b"\xff\xff"
# A seq scan that joins one already running elsewhere would start mid-table and spoil the
# canonical row order of a `COPY ... TO` (text is UTF-8 already: sg's sessions pin it).
COPY_OUT_SETTINGS = {"synchronize_seqscans": "off"}


class CopyWriter(Protocol):
    """Where a pump sends a COPY stream's bytes."""

    def write(self, data: Buffer) -> None:
        """Take the next bytes (the buffer is reused after the call returns)."""
        ...

    def finish(self) -> None:
        """The stream is complete."""
        ...


class FileWriter:
    """Writes the stream to a binary file."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def write(self, data: Buffer) -> None:
        """Write a copy of the bytes to the file."""
        self._stream.write(bytes(data))

    def finish(self) -> None:
        """Nothing to close: the file belongs to the caller."""


class PipeWriter:
    """Writes the stream into a running `COPY ... FROM STDIN` (`PostgresSession.copy`)."""

    def __init__(self, write: Callable[[Buffer], None]) -> None:
        self.write = write

    def finish(self) -> None:
        """Nothing to do: the COPY ends with its block."""


class DigestingWriter:
    """Passes the stream on to `inner` and feeds the same bytes to `digest`."""

    def __init__(self, inner: CopyWriter, digest: CopyStreamDigest) -> None:
        self._inner = inner
        self.digest = digest

    def write(self, data: Buffer) -> None:
        """Write to the inner writer, then digest the same bytes."""
        self._inner.write(data)
        self.digest.update(data)

    def finish(self) -> None:
        """Finish the inner writer."""
        self._inner.finish()


def pump(
    chunks: Iterable[Buffer],
    writer: CopyWriter,
    chunk_bytes: int,
    after_write: Callable[[int], None] | None = None,
) -> None:
    """Gather `chunks` into writes of about `chunk_bytes`, then finish the writer.

    `after_write(n)` is told, after each full write, how many chunks have been read so far.
    """
    buffer = bytearray()
    for count, data in enumerate(chunks, 1):
        buffer += data
        if len(buffer) >= chunk_bytes:
            writer.write(buffer)
            buffer.clear()
            if after_write is not None:
                after_write(count)
    writer.write(buffer)
    writer.finish()


class CopyStreamDigest:
    """The content digest of the tuples of a binary COPY stream fed in pieces of any size.

    Header and trailer are not content. The digest equals the object's content digest when
    the tuples arrive in canonical order and every column's binary form is its image. With
    `hashing=False` it only checks the stream's framing (header, then a trailer at the end).
    """

    def __init__(self, hashing: bool = True) -> None:
        self._digest = BlockDigest() if hashing else None
        self._head = bytearray()
        self._skip: int | None = None  # header bytes still to pass over, once known
        self._held = b""  # the last two bytes seen: the trailer, unless more follows

    def update(self, data: Buffer) -> None:
        """Feed the next bytes of the stream."""
        view = memoryview(data)
        if self._skip is None:
            view = self._read_header(view)
        if self._skip:
            skipped = min(self._skip, len(view))
            self._skip -= skipped
            view = view[skipped:]
        if not view:
            return
        if len(view) < 2:
            joined = self._held + bytes(view)
            if self._digest is not None:
                self._digest.update(joined[:-2])
            self._held = joined[-2:]
            return
        if self._digest is not None:
            self._digest.update(self._held)
            self._digest.update(view[:-2])
        self._held = bytes(view[-2:])

    @property
    def complete(self) -> bool:
        """True when the header was passed and the last bytes seen are the trailer."""
        return self._skip == 0 and self._held == COPY_TRAILER

    def digest(self) -> bytes:
        """The digest of the tuples; `CorruptDumpError` if the stream ended early."""
        if not self.complete:
            raise CorruptDumpError("the COPY stream ended before its trailer")
        if self._digest is None:
            raise ValueError("this digest was made with hashing=False")
        return self._digest.digest()

    def _read_header(self, view: memoryview) -> memoryview:
        need = COPY_HEADER.size - len(self._head)
        self._head += view[:need]
        view = view[need:]
        if len(self._head) == COPY_HEADER.size:
            signature, _flags, extension = COPY_HEADER.unpack(self._head)
            if signature != COPY_SIGNATURE:
                raise CorruptDumpError("the source did not send a binary COPY stream")
            self._skip = extension
        return view
