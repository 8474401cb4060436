"""The object-registry port: which objects the engine holds and what they are."""

from __future__ import annotations

from typing import Protocol

from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord


class ObjectRegistry(Protocol):
    """Registry rows of objects; the caller owns the transaction."""

    def get(self, object_id: ObjectId) -> ObjectRecord | None:
        """The record of `object_id`, or None when it is not registered."""
        ...

    def add(self, record: ObjectRecord) -> None:
        """Register an object; `DuplicateObjectError` if its id is registered already."""
        ...

    def ids(self) -> list[ObjectId]:
        """Every registered id, sorted."""
        ...

    def lock(self, object_id: ObjectId) -> None:
        """Serialize everyone creating `object_id` until the transaction ends."""
        ...
