"""Ports by which one domain service uses another: what a commit or a version needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sg.domain.capture import StagedChanges
from sg.domain.model import RowFilter, StagedKeys, TableRef
from sg.domain.netting import ChangeCounts
from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord


class ObjectStorer(Protocol):
    """Stores the live state of some keys of a table as a registered object."""

    def store_staged(self, source: TableRef, keys: StagedKeys) -> ObjectId:
        """The id of the object holding the source's current state of the staged keys."""
        ...


class Tracker(Protocol):
    """The change tracking a version service needs (`ChangeTracking` is one)."""

    def track(self, tables: Iterable[TableRef]) -> None:
        """Start tracking each table."""
        ...

    def untrack(self, tables: Iterable[TableRef]) -> None:
        """Stop tracking each table and discard its pending changes."""
        ...

    def tracked(self) -> list[TableRef]:
        """Every tracked table, sorted."""
        ...

    def changed_tables(self, schema: str) -> list[str]:
        """Tracked tables of `schema` with net pending changes."""
        ...

    def stage_pending(self, table: TableRef) -> StagedChanges:
        """Keep the keys of the table's net pending changes in the engine."""
        ...

    def release_staged(self, keys: StagedKeys) -> None:
        """Forget keys `stage_pending` kept (the pending changes stay)."""
        ...


class ObjectKeeper(Protocol):
    """The object storage a version service needs (`ObjectService` is one)."""

    def snapshot(self, source: TableRef) -> ObjectId:
        """Store every row of `source` as one registered object."""
        ...

    def apply(
        self,
        fragments: Sequence[TableRef],
        target: TableRef,
        row_filter: RowFilter | None = None,
    ) -> None:
        """Apply fragments to `target` in order, all or nothing."""
        ...

    def describe(self, object_id: ObjectId) -> ObjectRecord:
        """The registry record of `object_id`."""
        ...


class TableCommitter(Protocol):
    """Turns a table's net pending changes into one object (`ChangeCommitter` is one)."""

    def commit_counted(self, table: TableRef) -> tuple[ObjectId | None, ChangeCounts]:
        """The new object's id (None when nothing changed net) and the net row counts."""
        ...
