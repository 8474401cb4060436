"""A fake of the unit-of-work port: commit and rollback over the fake database."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from tests.fakes.database import FakeDatabase


@dataclass
class FakeUnitOfWork:
    """Commit keeps the database as it is; rollback puts back the last committed state."""

    db: FakeDatabase
    commits: int = 0
    rollbacks: int = 0
    _committed: tuple[object, object] = field(init=False)

    def __post_init__(self) -> None:
        self._committed = self._state()

    def commit(self) -> None:
        """Keep everything done so far."""
        self.commits += 1
        self._committed = self._state()

    def rollback(self) -> None:
        """Undo everything since the last commit."""
        self.rollbacks += 1
        tables, registry = copy.deepcopy(self._committed)
        self.db.tables, self.db.registry = tables, registry  # type: ignore[assignment]

    def is_clean(self) -> bool:
        """True when nothing is left uncommitted."""
        return self._state() == self._committed

    def _state(self) -> tuple[object, object]:
        return copy.deepcopy((self.db.tables, self.db.registry))
