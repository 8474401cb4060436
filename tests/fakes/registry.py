"""In-memory fakes of the object-registry port."""

from __future__ import annotations

from collections.abc import Callable

from sg.domain.errors import DuplicateObjectError
from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord
from tests.fakes.database import FakeDatabase


class FakeObjectRegistry:
    """Registry rows in `FakeDatabase`."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def get(self, object_id: ObjectId) -> ObjectRecord | None:
        """The record, or None."""
        self.db.operations += 1
        return self.db.registry.get(object_id)

    def add(self, record: ObjectRecord) -> None:
        """Register; `DuplicateObjectError` if registered already."""
        self.db.operations += 1
        if record.object_id in self.db.registry:
            raise DuplicateObjectError(f"object {record.object_id} is registered already")
        self.db.registry[record.object_id] = record

    def ids(self) -> list[ObjectId]:
        """Sorted ids."""
        return sorted(self.db.registry)

    def lock(self, object_id: ObjectId) -> None:
        """Record the lock."""
        self.db.locked.append(object_id)


class RacingRegistry(FakeObjectRegistry):
    """A registry where another transfer registers an object just before we lock it."""

    def __init__(self, db: FakeDatabase, on_lock: Callable[[ObjectId], None]) -> None:
        super().__init__(db)
        self._on_lock = on_lock

    def lock(self, object_id: ObjectId) -> None:
        """Let the other transfer win, then take the lock."""
        self._on_lock(object_id)
        super().lock(object_id)
