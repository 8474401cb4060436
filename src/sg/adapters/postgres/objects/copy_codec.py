"""The object-codec port as PostgreSQL binary COPY, streamed in bounded chunks."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import IO

import psycopg
from psycopg import sql

from sg.adapters.postgres.objects import copy_row_limit
from sg.adapters.postgres.objects.copy_row_limit import RowLimit
from sg.adapters.postgres.objects.tuple_image import image_columns, is_copy_canonical
from sg.adapters.postgres.session.errors import translate_error
from sg.adapters.postgres.session.session_settings import pinned_settings
from sg.domain.byte_streams import read_exactly, read_some
from sg.domain.content_digest import BlockDigest
from sg.domain.errors import CorruptDumpError, SgError
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_record import LoadedBody
from sg.ports.sql import SqlRunner

CHUNK_BYTES = 1 << 20
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_COPY_HEADER = struct.Struct(">11sII")  # signature, flags, length of the header extension
COPY_TRAILER = b"\xff\xff"
MAX_EXTENSION = 1 << 16
_NO_LIMIT = (1 << 63) - 1
# Text is sent in the client encoding: pin it so that every dump carries UTF-8. A seq scan
# that joins one already running elsewhere would start mid-table and break row order.
_DUMP_SETTINGS = {"client_encoding": "UTF8", "synchronize_seqscans": "off"}
_LOAD_SETTINGS = {"client_encoding": "UTF8", **copy_row_limit.SETTINGS}
# Server errors during a load that mean the server, the connection or other sessions were
# in the way; any other error means the bytes were wrong (receive functions report bad
# input with many SQLSTATEs, some as internal errors).
_NOT_THE_BYTES = ("08", "25", "40", "53", "55", "57", "58")
_PROTOCOL_VIOLATION = "08P01"


class CopyObjectCodec:
    """Dump bodies are exactly what `COPY ... TO STDOUT (FORMAT binary)` writes."""

    def __init__(self, runner: SqlRunner, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._sql = runner
        self._chunk = chunk_bytes

    def write_body(self, table: TableRef, columns: Sequence[ColumnSpec], stream: IO[bytes]) -> int:
        """Stream the rows of `table` to `stream` in chunks of about `chunk_bytes`."""
        statement = sql.SQL("COPY {} ({}) TO STDOUT (FORMAT binary)").format(
            sql.Identifier(*table), _column_list(columns)
        )
        buffer = bytearray()
        with pinned_settings(self._sql, _DUMP_SETTINGS):
            try:
                with self._sql.native_connection().cursor() as cursor:
                    with cursor.copy(statement) as copy:
                        for data in copy:
                            buffer += data
                            if len(buffer) >= self._chunk:
                                stream.write(bytes(buffer))
                                buffer.clear()
                    stream.write(bytes(buffer))
                    return int(cursor.rowcount)
            except psycopg.Error as exc:
                raise translate_error(exc) from exc

    def open_body(self, stream: IO[bytes]) -> CopyBodyReader:
        """Read and check the COPY signature, flags and header extension."""
        head = read_exactly(stream, _COPY_HEADER.size, "COPY header")
        signature, flags, extension = _COPY_HEADER.unpack(head)
        if signature != COPY_SIGNATURE:
            raise CorruptDumpError("the dump body is not a PostgreSQL binary COPY stream")
        if flags & 0xFFFF0000 or extension > MAX_EXTENSION:
            raise CorruptDumpError(f"the COPY stream sets unsupported flags ({flags:#x})")
        head += read_exactly(stream, extension, "COPY header")
        return CopyBodyReader(self._sql, stream, head, self._chunk)


class CopyBodyReader:
    """A binary COPY stream whose header has been read; loads the rest into a table."""

    def __init__(self, runner: SqlRunner, stream: IO[bytes], head: bytes, chunk: int) -> None:
        self._sql = runner
        self._stream = stream
        self._head = head
        self._chunk = chunk

    def load_into(
        self, table: TableRef, columns: Sequence[ColumnSpec], max_rows: int | None = None
    ) -> LoadedBody:
        """COPY the stream into `table`, hashing the tuples on the way; see `LoadedBody`."""
        canonical = is_copy_canonical(image_columns(self._sql, table))
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
            sql.Identifier(*table), _column_list(columns)
        )
        digest = BlockDigest()
        held = b""  # the last two bytes seen: the trailer, unless more follows
        limit = RowLimit(self._sql, table, max_rows if max_rows is not None else _NO_LIMIT)
        with pinned_settings(self._sql, _LOAD_SETTINGS), limit:
            try:
                with self._sql.native_connection().cursor() as cursor:
                    with cursor.copy(statement) as copy:
                        copy.write(self._head)
                        while not limit.exceeded and (
                            chunk := read_some(self._stream, self._chunk)
                        ):
                            copy.write(chunk)
                            held = _digest_all_but_trailer(
                                digest if canonical else None, held, chunk
                            )
                            limit.poll()
                    rows = int(cursor.rowcount)
            except psycopg.Error as exc:
                if limit.exceeded:
                    raise CorruptDumpError(
                        f"the dump body holds more than the {max_rows} rows its header"
                        " promises; reading stopped there"
                    ) from exc
                raise _load_error(exc) from exc
        if held != COPY_TRAILER:
            raise CorruptDumpError("the dump ends without the COPY trailer: it is truncated")
        return LoadedBody(rows, digest.digest() if canonical else None)


def _digest_all_but_trailer(digest: BlockDigest | None, held: bytes, chunk: bytes) -> bytes:
    """Feed `digest` everything but the last two bytes seen so far; return those two."""
    if len(chunk) < 2:
        joined = held + chunk
        if digest is not None:
            digest.update(joined[:-2])
        return joined[-2:]
    if digest is not None:
        digest.update(held)
        digest.update(memoryview(chunk)[:-2])
    return bytes(chunk[-2:])


def _load_error(exc: psycopg.Error) -> SgError:
    error = translate_error(exc)
    state = exc.sqlstate
    if state is None or (state.startswith(_NOT_THE_BYTES) and state != _PROTOCOL_VIOLATION):
        return error
    return CorruptDumpError(f"the dump body does not load: {error}")


def _column_list(columns: Sequence[ColumnSpec]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
