"""In-memory fakes of the transport, unit-of-work and progress ports."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sg.domain.content_digest import BlockDigest
from sg.domain.errors import EngineConnectionError
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_id import ObjectId, object_table
from sg.domain.object_record import LoadedBody, ObjectRecord
from sg.ports.transport import RowsMoved
from tests.fakes.codec import FakeObjectRegistry
from tests.fakes.fragments import FakeDatabase, Row, image


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


@dataclass
class FakeTransport:
    """Copies rows between two fake databases in chunks, hashing them as a stream would.

    Faults on demand: `tamper` changes the first row's last data value on the way,
    `fail_after` loses the connection after that many rows were written, `lose_rows`
    drops the last rows, `unreachable` fails at once, `sees_bytes=False` reports no
    digest (as postgres_fdw does, whose bytes never reach the client).
    """

    source: FakeDatabase
    destination: FakeDatabase
    chunk_rows: int = 2
    tamper: bool = False
    fail_after: int | None = None
    sees_bytes: bool = True
    lose_rows: int = 0
    unreachable: bool = False
    copied: list[TableRef] = field(default_factory=list)

    def copy_rows(
        self, table: TableRef, columns: Sequence[ColumnSpec], on_rows: RowsMoved
    ) -> LoadedBody:
        """Append the source table's rows to the destination's empty table of that name."""
        if self.unreachable:
            raise EngineConnectionError("cannot connect to the source: connection refused")
        rows = list(self.source.table(table).rows)
        rows = rows[: len(rows) - self.lose_rows]
        target = self.destination.table(table)
        if self.tamper and rows:
            first = rows[0]
            rows[0] = (*first[:-2], f"tampered {first[-2]}", first[-1])
        digest = BlockDigest()
        for start in range(0, len(rows), self.chunk_rows):
            chunk = rows[start : start + self.chunk_rows]
            target.rows += chunk
            for row in chunk:
                digest.update(image(row))
            if self.fail_after is not None and len(target.rows) >= self.fail_after:
                raise EngineConnectionError("the destination went away in the middle of a copy")
            on_rows(len(target.rows))
        self.copied.append(table)
        return LoadedBody(len(target.rows), digest.digest() if self.sees_bytes else None)


@dataclass
class RecordingProgress:
    """Remembers every call, in order."""

    events: list[tuple[str, int, int]] = field(default_factory=list)

    def started(self, objects: int, rows: int) -> None:
        """Record the totals."""
        self.events.append(("started", objects, rows))

    def advanced(self, objects: int, rows: int) -> None:
        """Record the counts."""
        self.events.append(("advanced", objects, rows))

    def finished(self) -> None:
        """Record the end."""
        self.events.append(("finished", 0, 0))


class RacingRegistry(FakeObjectRegistry):
    """A registry where another transfer registers an object just before we lock it."""

    def __init__(self, db: FakeDatabase, on_lock: Callable[[ObjectId], None]) -> None:
        super().__init__(db)
        self._on_lock = on_lock

    def lock(self, object_id: ObjectId) -> None:
        """Let the other transfer win, then take the lock."""
        self._on_lock(object_id)
        super().lock(object_id)


def copy_object(record: ObjectRecord, rows: list[Row], db: FakeDatabase) -> None:
    """Put an object (table and registry row) into `db`, as a finished transfer would."""
    db.add_table(object_table(record.object_id), record.columns, rows)
    db.registry[record.object_id] = record
