"""The port that writes a table's rows as a SQL script."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any, Protocol

from sg.domain.model import TableRef
from sg.ports.sql import ComposedSql


class TableSqlDumper(Protocol):
    """Writes INSERT statements that recreate a table's rows when run with psql."""

    def dump(
        self,
        table: TableRef,
        stream: IO[str] | IO[bytes],
        columns: str | Sequence[str] | ComposedSql,
        where: str | ComposedSql,
        where_args: Sequence[Any] | None,
    ) -> int:
        """Stream the selected rows to `stream` in bounded memory; return the row count."""
        ...
