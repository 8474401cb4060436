"""The object-codec port as PostgreSQL binary COPY, streamed in bounded chunks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO

import psycopg
from psycopg import sql

from sg.adapters.postgres.objects import copy_row_limit
from sg.adapters.postgres.objects.copy_row_limit import RowLimit
from sg.adapters.postgres.objects.copy_stream import (
    COPY_HEADER,
    COPY_OUT_SETTINGS,
    COPY_SIGNATURE,
    CopyStreamDigest,
    DigestingWriter,
    FileWriter,
    PipeWriter,
    pump,
)
from sg.adapters.postgres.objects.tuple_image import image_columns, is_copy_canonical
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.adapters.postgres.session.session_settings import pinned_settings
from sg.domain.byte_streams import read_exactly, read_some
from sg.domain.errors import CorruptDumpError, SgError
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_record import LoadedBody

CHUNK_BYTES = 1 << 20
MAX_EXTENSION = 1 << 16
_NO_LIMIT = (1 << 63) - 1
# Server errors during a load that mean the server, the connection or other sessions were
# in the way; any other error means the bytes were wrong (receive functions report bad
# input with many SQLSTATEs, some as internal errors).
_NOT_THE_BYTES = ("08", "25", "40", "53", "55", "57", "58")
_PROTOCOL_VIOLATION = "08P01"


class CopyObjectCodec:
    """Dump bodies are exactly what `COPY ... TO STDOUT (FORMAT binary)` writes."""

    def __init__(self, runner: PostgresSession, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._sql = runner
        self._chunk = chunk_bytes

    def write_body(self, table: TableRef, columns: Sequence[ColumnSpec], stream: IO[bytes]) -> int:
        """Stream the rows of `table` to `stream` in chunks of about `chunk_bytes`."""
        statement = sql.SQL("COPY {} ({}) TO STDOUT (FORMAT binary)").format(
            sql.Identifier(*table), _column_list(columns)
        )
        with pinned_settings(self._sql, COPY_OUT_SETTINGS), self._sql.copy(statement) as pipe:
            pump(pipe, FileWriter(stream), self._chunk)
        return pipe.rows

    def open_body(self, stream: IO[bytes]) -> CopyBodyReader:
        """Read and check the COPY signature, flags and header extension."""
        head = read_exactly(stream, COPY_HEADER.size, "COPY header")
        signature, flags, extension = COPY_HEADER.unpack(head)
        if signature != COPY_SIGNATURE:
            raise CorruptDumpError("the dump body is not a PostgreSQL binary COPY stream")
        if flags & 0xFFFF0000 or extension > MAX_EXTENSION:
            raise CorruptDumpError(f"the COPY stream sets unsupported flags ({flags:#x})")
        head += read_exactly(stream, extension, "COPY header")
        return CopyBodyReader(self._sql, stream, head, self._chunk)


class CopyBodyReader:
    """A binary COPY stream whose header has been read; loads the rest into a table."""

    def __init__(self, runner: PostgresSession, stream: IO[bytes], head: bytes, chunk: int) -> None:
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
        digest = CopyStreamDigest(hashing=canonical)
        limit = RowLimit(self._sql, table, max_rows if max_rows is not None else _NO_LIMIT)

        def load_error(exc: psycopg.Error, error: SgError) -> SgError:
            if limit.exceeded:
                return CorruptDumpError(
                    f"the dump body holds more than the {max_rows} rows its header"
                    " promises; reading stopped there"
                )
            return _load_error(exc, error)

        with (
            pinned_settings(self._sql, copy_row_limit.SETTINGS),
            limit,
            self._sql.copy(statement, load_error) as pipe,
        ):
            writer = DigestingWriter(PipeWriter(pipe.write), digest)
            writer.write(self._head)
            pump(self._chunks(limit), writer, self._chunk, lambda _: limit.poll())
        if not digest.complete:
            raise CorruptDumpError("the dump ends without the COPY trailer: it is truncated")
        return LoadedBody(pipe.rows, digest.digest() if canonical else None)

    def _chunks(self, limit: RowLimit) -> Iterator[bytes]:
        """The rest of the stream in chunks, until it ends or the table's row limit is hit."""
        while not limit.exceeded and (chunk := read_some(self._stream, self._chunk)):
            yield chunk


def _load_error(exc: psycopg.Error, error: SgError) -> SgError:
    state = exc.sqlstate
    if state is None or (state.startswith(_NOT_THE_BYTES) and state != _PROTOCOL_VIOLATION):
        return error
    return CorruptDumpError(f"the dump body does not load: {error}")


def _column_list(columns: Sequence[ColumnSpec]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
