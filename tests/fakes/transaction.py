"""A fake of the transaction port: savepoints over the fake database."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.fakes.database import FakeDatabase


@dataclass
class FakeTransaction:
    """Savepoints that snapshot the fake database and restore it on failure."""

    db: FakeDatabase
    rollbacks: int = 0

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Keep the block's changes only if it succeeds."""
        saved = copy.deepcopy((self.db.tables, self.db.registry))
        try:
            yield
        except BaseException:
            self.db.tables, self.db.registry = saved
            self.rollbacks += 1
            raise
