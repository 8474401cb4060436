"""The in-memory database the object fakes share: tables, registry rows, staged keys."""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sg.domain.errors import (
    DuplicateObjectError,
    TableNotFoundError,
)
from sg.domain.model import ColumnSpec, StagedKeys, TableRef
from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord

Row = tuple[Any, ...]


@dataclass
class FakeTable:
    """A table: columns and rows in physical order."""

    columns: list[ColumnSpec]
    rows: list[Row] = field(default_factory=list)


@dataclass
class FakeDatabase:
    """Everything the fakes share: tables, registry rows, and what touched them."""

    tables: dict[TableRef, FakeTable] = field(default_factory=dict)
    registry: dict[ObjectId, ObjectRecord] = field(default_factory=dict)
    locked: list[ObjectId] = field(default_factory=list)
    operations: int = 0
    staged: dict[str, list[Row]] = field(default_factory=dict)

    def stage(self, keys: Sequence[Row]) -> StagedKeys:
        """Hold `keys` in the fake engine, as a capture adapter's staging would."""
        handle = f"staged_{len(self.staged) + 1}"
        self.staged[handle] = [tuple(key) for key in keys]
        return StagedKeys(handle, len(keys))

    def table(self, ref: TableRef) -> FakeTable:
        """The table `ref` or `TableNotFoundError`."""
        self.operations += 1
        if ref not in self.tables:
            raise TableNotFoundError.named(*ref)
        return self.tables[ref]

    def add_table(self, ref: TableRef, columns: Sequence[ColumnSpec], rows: Sequence[Row]) -> None:
        """Create `ref`; `DuplicateObjectError` if it exists."""
        self.operations += 1
        if ref in self.tables:
            raise DuplicateObjectError(f"relation {ref} already exists", "42P07")
        self.tables[ref] = FakeTable(list(columns), list(rows))


def image(row: Row) -> bytes:
    """The fake tuple image: self-delimiting, so concatenations are unambiguous."""
    payload = json.dumps(list(row), sort_keys=True, default=str).encode()
    return struct.pack(">I", len(payload)) + payload
