"""The transaction port: the unit of all-or-nothing work inside the caller's transaction."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol


class Transaction(Protocol):
    """Savepoints on the engine's connection (`SqlRunner` satisfies this)."""

    def savepoint(self) -> AbstractContextManager[None]:
        """Work inside is kept if the block succeeds and undone (error re-raised) if it fails."""
        ...
