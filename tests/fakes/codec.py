"""An in-memory fake of the object-codec port over the fake database."""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import IO

from sg.domain.content_digest import BlockDigest
from sg.domain.errors import CorruptDumpError
from sg.domain.model import ColumnSpec, TableRef
from sg.domain.object_record import LoadedBody
from tests.fakes.database import FakeDatabase, image

FAKE_SIGNATURE = b"FAKEBODY"
TRAILER = b"\xff\xff\xff\xff"


class FakeObjectCodec:
    """Bodies: a signature, then each row's image, then a trailer (the COPY shape)."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def write_body(self, table: TableRef, columns: Sequence[ColumnSpec], stream: IO[bytes]) -> int:
        """Write rows in stored order."""
        rows = self.db.table(table).rows
        stream.write(FAKE_SIGNATURE)
        for row in rows:
            stream.write(image(row))
        stream.write(TRAILER)
        return len(rows)

    def open_body(self, stream: IO[bytes]) -> FakeBodyReader:
        """Check the signature without touching the database."""
        if stream.read(len(FAKE_SIGNATURE)) != FAKE_SIGNATURE:
            raise CorruptDumpError("not a fake body")
        return FakeBodyReader(self.db, stream)


class FakeBodyReader:
    """Reads images until the trailer; the digest holds if they came in sorted order."""

    def __init__(self, db: FakeDatabase, stream: IO[bytes]) -> None:
        self.db = db
        self.stream = stream

    def load_into(
        self, table: TableRef, columns: Sequence[ColumnSpec], max_rows: int | None = None
    ) -> LoadedBody:
        """Append the body's rows to `table`."""
        dest = self.db.table(table)
        digest = BlockDigest()
        while (prefix := self.stream.read(4)) != TRAILER:
            if max_rows is not None and len(dest.rows) >= max_rows:
                raise CorruptDumpError("fake body holds more rows than promised")
            if len(prefix) < 4:
                raise CorruptDumpError("fake body truncated")
            payload = self.stream.read(struct.unpack(">I", prefix)[0])
            try:
                row = tuple(json.loads(payload))
            except ValueError as exc:
                raise CorruptDumpError(f"fake body row unreadable: {exc}") from None
            if len(row) != len(columns) or image(row) != prefix + payload:
                raise CorruptDumpError("fake body row does not fit the columns")
            dest.rows.append(row)
            digest.update(prefix + payload)
        return LoadedBody(len(dest.rows), digest.digest())
