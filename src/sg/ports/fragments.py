"""The fragment-storage port: create fragment tables, digest them, apply them to tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sg.domain.model import ColumnSpec, RowFilter, StagedKeys, TableRef
from sg.domain.object_record import ContentDigest, FragmentInfo

KeyTuple = tuple[Any, ...]


class FragmentStore(Protocol):
    """Tables holding fragments, in the engine's database; the caller owns the transaction.

    A table's key is its primary key; a table without one is keyed by the whole row,
    compared NULL-safe. Every method raises `TableNotFoundError` for a missing table.
    """

    def columns(self, table: TableRef) -> list[ColumnSpec]:
        """Columns in order with key flags and types spelled the same on every server."""
        ...

    def missing(self, tables: Sequence[TableRef]) -> list[TableRef]:
        """Those of `tables` that do not exist, in the order given."""
        ...

    def create_fragment(
        self, target: TableRef, source: TableRef, keys: Sequence[KeyTuple]
    ) -> FragmentInfo:
        """Create `target` holding the source's current state of every key in `keys`.

        Per key present in the source: its row (keyed tables) or a delete marker plus one
        upsert row per copy (whole-row keys); per key absent: a delete marker.
        `DuplicateObjectError` if `target` exists.
        """
        ...

    def create_staged_fragment(
        self, target: TableRef, source: TableRef, keys: StagedKeys
    ) -> FragmentInfo:
        """Like `create_fragment` for keys the engine holds (`ChangeCapture.stage`).

        The source's rows are found by their stored values, never through the client.
        `DuplicateObjectError` if `target` exists.
        """
        ...

    def create_snapshot(self, target: TableRef, source: TableRef) -> FragmentInfo:
        """Create `target` holding every row of `source` as an upsert."""
        ...

    def create_table(self, table: TableRef, columns: Sequence[ColumnSpec], with_key: bool) -> None:
        """Create an empty table with exactly these columns (from an untrusted dump header),
        their key columns as primary key if `with_key`.

        Type names are checked before anything reaches the server; `CorruptDumpError` if
        one is not a plain type name or the server spells it differently.
        """
        ...

    def add_primary_key(self, table: TableRef, key: Sequence[str]) -> None:
        """Make the columns `key` of `table` its primary key (built once over its rows);
        `IntegrityViolationError` when two rows share a key or one has a NULL in it."""
        ...

    def content_digest(self, table: TableRef) -> ContentDigest:
        """Row count and content digest (see `sg.domain.content_digest`)."""
        ...

    def flag_counts(self, table: TableRef) -> tuple[int, int]:
        """`(upserts, delete markers)` of a fragment table."""
        ...

    def table_size(self, table: TableRef) -> int:
        """Bytes on disk, indexes and TOAST included."""
        ...

    def block_writers(self, table: TableRef) -> None:
        """Keep others from writing `table` until the transaction ends (reads go on)."""
        ...

    def rename(self, table: TableRef, new_name: str) -> None:
        """Rename `table` within its schema; `DuplicateObjectError` if the name is taken."""
        ...

    def drop(self, table: TableRef) -> None:
        """Drop `table`."""
        ...

    def apply(
        self,
        fragments: Sequence[TableRef],
        target: TableRef,
        key: Sequence[str] | None,
        row_filter: RowFilter | None,
    ) -> None:
        """Apply fragments in order: per fragment, delete every key it mentions from `target`,
        then insert its upsert rows that pass `row_filter`; fails whole or not at all.

        `key` names the fragments' key columns (`[]`: the whole row); None means the
        target's primary key, or the whole row when it has none.
        """
        ...
