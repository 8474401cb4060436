"""An in-memory fake of the transport port: copies rows between fake databases, with faults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sg.domain.content_digest import BlockDigest
from sg.domain.errors import EngineConnectionError
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_id import object_table
from sg.domain.object_record import LoadedBody, ObjectRecord
from sg.ports.transport import RowsMoved
from tests.fakes.database import FakeDatabase, Row, image


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


def copy_object(record: ObjectRecord, rows: list[Row], db: FakeDatabase) -> None:
    """Put an object (table and registry row) into `db`, as a finished transfer would."""
    db.add_table(object_table(record.object_id), record.columns, rows)
    db.registry[record.object_id] = record
