"""Committing a tracked table's net pending changes as one object, atomically."""

from __future__ import annotations

from sg.domain.model import TableRef
from sg.domain.netting import ChangeCounts
from sg.domain.object_id import ObjectId
from sg.domain.services.change_tracking import ChangeTracking
from sg.ports.catalog import TableLock
from sg.ports.services import ObjectStorer
from sg.ports.transaction import Transaction


class ChangeCommitter:
    """Turns a table's net pending changes into an object and discards exactly those changes.

    Writers are locked out of the table from the read until the caller's transaction ends, so
    the rows stored are the rows the changes describe; everything happens in one savepoint.
    The changed keys stay in the engine: neither they nor the rows pass through this service.
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
        with self._tx.savepoint():
            self._lock.lock_table(table)
            return self._commit_staged(table)

    def commit_counted(self, table: TableRef) -> tuple[ObjectId | None, ChangeCounts]:
        """`commit`, with the net rows added, removed and updated that the object holds.

        Counted by the engine under the same lock, so from the same log as the object.
        """
        with self._tx.savepoint():
            self._lock.lock_table(table)
            counts = self._changes.counts(table)
            return self._commit_staged(table), counts

    def _commit_staged(self, table: TableRef) -> ObjectId | None:
        staged = self._changes.stage_pending(table)
        object_id = None
        if staged.keys.size:
            object_id = self._objects.store_staged(table, staged.keys)
            self._changes.discard_read(table, staged.watermark)
        self._changes.release_staged(staged.keys)
        return object_id
