"""Committing a tracked table's net pending changes as one object, atomically."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sg.domain.changes import ChangeCounts, ChangeTracking, count_changes
from sg.domain.model import ChangeKind, TableRef
from sg.domain.object_id import ObjectId
from sg.ports.transaction import Transaction


class ObjectStorer(Protocol):
    """Stores the live state of some keys of a table as a registered object."""

    def store_object(
        self,
        source: TableRef,
        inserted: Sequence[tuple[Any, ...]],
        deleted: Sequence[tuple[Any, ...]],
    ) -> ObjectId:
        """The id of the object holding the source's current state of those keys."""
        ...


class TableLock(Protocol):
    """Keeps writers off a table until the transaction ends."""

    def lock_table(self, table: TableRef) -> None:
        """Block writers (not readers) of `table` until the transaction ends."""
        ...


class ChangeCommitter:
    """Turns a table's net pending changes into an object and discards exactly those changes.

    Writers are locked out of the table from the read until the caller's transaction ends, so
    the rows stored are the rows the changes describe; everything happens in one savepoint.
    """

    def __init__(
        self,
        changes: ChangeTracking,
        objects: ObjectStorer,
        lock: TableLock,
        transaction: Transaction,
    ) -> None:
        self._changes = changes
        self._objects = objects
        self._lock = lock
        self._tx = transaction

    def commit(self, table: TableRef) -> ObjectId | None:
        """The new (or identical existing) object's id, or None when nothing changed net."""
        return self.commit_counted(table)[0]

    def commit_counted(self, table: TableRef) -> tuple[ObjectId | None, ChangeCounts]:
        """`commit`, with the net rows added, removed and updated that the object holds."""
        with self._tx.savepoint():
            self._lock.lock_table(table)
            pending = self._changes.read_pending(table)
            counts = count_changes(pending.changes)
            if not pending.changes:
                return None, counts
            upserted: dict[tuple[Any, ...], None] = {}
            removed: dict[tuple[Any, ...], None] = {}
            for change in pending.changes:
                kind = change.change_type
                target = removed if kind == ChangeKind.DELETE else upserted
                target.setdefault(tuple(change.primary_key), None)
            deleted = [key for key in removed if key not in upserted]
            object_id = self._objects.store_object(table, list(upserted), deleted)
            self._changes.discard_read(table, pending.watermark)
            return object_id, counts
