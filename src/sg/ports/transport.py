"""The transport port: move one object's rows from a source engine into a destination."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sg.domain.engine_params import EngineParams
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_record import LoadedBody
from sg.ports.sql import SqlRunner

RowsMoved = Callable[[int], None]
"""Told the rows of the current object moved so far (an estimate until the last call)."""


@dataclass(frozen=True)
class TransferRoute:
    """Both ends of a transfer: each engine's SQL port and connection parameters."""

    source: SqlRunner
    source_params: EngineParams
    destination: SqlRunner
    destination_params: EngineParams


class ObjectTransport(Protocol):
    """Copies an object table's rows between two engines of one `TransferRoute`."""

    def copy_rows(
        self, table: TableRef, columns: Sequence[ColumnSpec], on_rows: RowsMoved
    ) -> LoadedBody:
        """Fill the destination's existing empty `table` with the rows of the source's table
        of the same name, inside the destination's current transaction (the caller verifies,
        commits or rolls back); the source's transaction is left as it was.

        Returns the rows written and, if the transport saw the rows' bytes, the content
        digest of the stream (None otherwise; the caller then asks the destination).
        Everything the transport creates is gone when it returns or raises, and on error
        both transactions are back where they were (unless a connection was lost).
        `EngineConnectionError` if an engine cannot be reached (`RemoteEngineError` when
        the destination's server cannot reach the source); `TableNotFoundError` if the
        source lacks the table; `TransportUnavailableError` if the transport cannot run here.
        """
        ...
