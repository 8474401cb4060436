"""The object-codec port: stream a table's rows as a dump body and back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Protocol

from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_record import LoadedBody


class BodyReader(Protocol):
    """A dump body whose own header was read and found valid; not yet loaded."""

    def load_into(
        self, table: TableRef, columns: Sequence[ColumnSpec], max_rows: int | None = None
    ) -> LoadedBody:
        """Stream the rest of the body into the existing empty `table` in bounded memory.

        `CorruptDumpError` if the body is truncated or malformed, or holds more than
        `max_rows` rows (reading stops soon after the first row too many); the caller
        undoes the load.
        """
        ...


class ObjectCodec(Protocol):
    """Writes and reads the body that follows a dump header."""

    def write_body(self, table: TableRef, columns: Sequence[ColumnSpec], stream: IO[bytes]) -> int:
        """Stream the rows of `table` to `stream` in bounded chunks; return the row count."""
        ...

    def open_body(self, stream: IO[bytes]) -> BodyReader:
        """Read and check the body's own header without touching the database."""
        ...
