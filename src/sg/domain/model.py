"""Values shared by every layer: result shapes, change kinds and table references."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, NamedTuple


class ResultShape(IntEnum):
    """What `run_sql` returns from a statement's result set."""

    NONE = 0
    ONE_ONE = 1
    ONE_MANY = 2
    MANY_ONE = 3
    MANY_MANY = 4


class ChangeKind(IntEnum):
    """The kind of a net change to one key of a tracked table."""

    INSERT = 0
    DELETE = 1
    UPDATE = 2


class TableRef(NamedTuple):
    """A table named by schema and table name (both unquoted, exactly as stored)."""

    schema: str
    table: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}"


class ColumnSpec(NamedTuple):
    """One column of a table: position, name, SQL type and whether it is part of the key."""

    ordinal: int
    name: str
    type: str
    is_pk: bool


class Change(NamedTuple):
    """One net change to one key: the key's values, the kind, and the row data it carries.

    INSERT carries the new row, UPDATE the changed columns' new values, DELETE the old row.
    """

    primary_key: tuple[Any, ...]
    change_type: ChangeKind
    change_data: dict[str, Any]


class StagedKeys(NamedTuple):
    """Keys of one table that the engine holds for a later call, so they need not travel.

    `handle` is opaque outside the adapter that staged them; `size` is how many there are.
    """

    handle: str
    size: int


class RowFilter(NamedTuple):
    """A condition rows must meet, with its arguments; built at the facade edge.

    Opaque to the domain: only the adapter that applies it knows what `condition` is (for
    PostgreSQL, a composed SQL condition with `%s` placeholders for `arguments`).
    """

    condition: object
    arguments: tuple[Any, ...] = ()
