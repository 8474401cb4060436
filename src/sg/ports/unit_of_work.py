"""The unit-of-work port: end an engine's transaction (`SqlRunner` satisfies it)."""

from __future__ import annotations

from typing import Protocol


class UnitOfWork(Protocol):
    """Commits or rolls back everything the engine's connection did since the last end."""

    def commit(self) -> None:
        """Make the transaction's work permanent and release its locks."""
        ...

    def rollback(self) -> None:
        """Undo the transaction's work and release its locks (no-op when none is open)."""
        ...
