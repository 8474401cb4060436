"""The catalog port: what the engine's database knows about its tables."""

from __future__ import annotations

from typing import Protocol

from sg.domain.model import TableRef


class Catalog(Protocol):
    """Reads table metadata; every method raises `TableNotFoundError` for a missing table."""

    def table_exists(self, table: TableRef) -> bool:
        """True when `table` exists (a missing schema is simply False)."""
        ...

    def primary_keys(self, table: TableRef) -> list[tuple[str, str]]:
        """`[(column, type)]` of the primary key in key order; `[]` when there is none."""
        ...

    def table_size(self, table: TableRef) -> int:
        """Bytes on disk, indexes and TOAST included."""
        ...

    def create_schema(self, schema: str) -> None:
        """Create `schema` unless it exists; the caller commits."""
        ...

    def lock_table(self, table: TableRef) -> None:
        """Take an EXCLUSIVE lock (blocks writers, not readers) until the transaction ends."""
        ...


class TableLock(Protocol):
    """Keeps writers off a table until the transaction ends."""

    def lock_table(self, table: TableRef) -> None:
        """Block writers (not readers) of `table` until the transaction ends."""
        ...
