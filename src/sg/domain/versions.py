"""Version values: table shapes, object chains, versions, tags and diffs of a versioned schema."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sg.domain.errors import InvalidIdentifierError
from sg.domain.model import Change
from sg.domain.object_id import ObjectId

LATEST = "latest"
_ID_PATTERN = re.compile(r"[0-9a-f]{64}")
_PREFIX_PATTERN = re.compile(r"[0-9a-f]{4,64}")
_ID_TAG = b"sg-version-v1\n"


class VersionId(str):
    """A validated version id: 64 lowercase hex digits derived from the version's content."""

    __slots__ = ()

    def __new__(cls, value: str) -> VersionId:  # noqa: D102 - the class docstring covers it
        if not _ID_PATTERN.fullmatch(value):
            raise InvalidIdentifierError(f"not a version id: {value!r} (64 lowercase hex digits)")
        return super().__new__(cls, value)

    @staticmethod
    def is_prefix(value: str) -> bool:
        """True when `value` can name a version by id prefix (at least 4 hex digits)."""
        return bool(_PREFIX_PATTERN.fullmatch(value))

    @property
    def short(self) -> str:
        """The first 12 digits, as log lines show them."""
        return self[:12]


class ColumnDef(NamedTuple):
    """One column of a versioned table: name, type, NOT NULL and default expression."""

    name: str
    type: str
    not_null: bool
    default: str | None


class IndexDef(NamedTuple):
    """One index besides the primary key: its name, uniqueness and `USING ...` clause."""

    name: str
    unique: bool
    using: str


class TableShape(NamedTuple):
    """A table's columns in order, primary-key columns in key order, and its other indexes."""

    columns: tuple[ColumnDef, ...]
    key: tuple[str, ...]
    indexes: tuple[IndexDef, ...]

    def same_columns(self, other: TableShape) -> bool:
        """True when both have the same column names, types and key (rows stay compatible)."""
        return self.key == other.key and [(c.name, c.type) for c in self.columns] == [
            (c.name, c.type) for c in other.columns
        ]

    def to_json(self) -> dict[str, Any]:
        """The shape as JSON-ready values."""
        return {
            "columns": [c._asdict() for c in self.columns],
            "key": list(self.key),
            "indexes": [i._asdict() for i in self.indexes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableShape:
        """The shape `to_json` wrote."""
        return cls(
            tuple(ColumnDef(**c) for c in data["columns"]),
            tuple(data["key"]),
            tuple(IndexDef(**i) for i in data["indexes"]),
        )


class TableCounts(NamedTuple):
    """Rows a version added, removed and updated in one table, and its rows afterwards."""

    added: int = 0
    removed: int = 0
    updated: int = 0


class TableVersion(NamedTuple):
    """One table as a version records it: shape, ordered object chain (base first), counts."""

    name: str
    shape: TableShape
    chain: tuple[ObjectId, ...]
    counts: TableCounts

    def to_json(self) -> dict[str, Any]:
        """The table version as JSON-ready values."""
        return {
            "name": self.name,
            "shape": self.shape.to_json(),
            "chain": list(self.chain),
            "counts": list(self.counts),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableVersion:
        """The table version `to_json` wrote."""
        return cls(
            data["name"],
            TableShape.from_json(data["shape"]),
            tuple(ObjectId(o) for o in data["chain"]),
            TableCounts(*data["counts"]),
        )


class Version(NamedTuple):
    """One committed state of a versioned schema; its tables are sorted by name."""

    version_id: VersionId
    schema: str
    parent: VersionId | None
    created_at: datetime
    author: str
    message: str
    tables: tuple[TableVersion, ...]

    def table(self, name: str) -> TableVersion | None:
        """The table called `name` in this version, if any."""
        return next((t for t in self.tables if t.name == name), None)

    def objects(self) -> set[ObjectId]:
        """Every object any table of this version needs."""
        return {o for t in self.tables for o in t.chain}


def derive_version_id(
    schema: str,
    parent: VersionId | None,
    created_at: datetime,
    author: str,
    message: str,
    tables: tuple[TableVersion, ...],
) -> VersionId:
    """The id of a version with this content (the schema name is not part of it)."""
    del schema  # a version keeps its id when its history is pushed under another name
    body = {
        "parent": parent,
        "created_at": created_at.isoformat(),
        "author": author,
        "message": message,
        "tables": [t.to_json() for t in tables],
    }
    data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return VersionId(hashlib.sha256(_ID_TAG + data).hexdigest())


def shared_prefix(a: Sequence[ObjectId], b: Sequence[ObjectId]) -> int:
    """How many objects two chains start with in common."""
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared


class Tag(NamedTuple):
    """A name for a version of a schema."""

    name: str
    version_id: VersionId


class TableDiff(NamedTuple):
    """Net row changes of one table between two versions, in key order, with counts."""

    table: str
    status: str  # "added", "removed", "changed" or "unchanged"
    changes: list[Change]
    counts: TableCounts


class VersionStorage(NamedTuple):
    """Bytes a version's objects take: all of them, and those no earlier version had."""

    version_id: VersionId
    total_bytes: int
    own_bytes: int


class CompactionPolicy(NamedTuple):
    """When a table's chain is rebuilt as one fresh base object.

    A checkout reads every row of the chain, so the patches' rows over the base's rows is what
    a checkout pays beyond copying the table once; compacting costs a full snapshot at commit
    and a full new object in storage. Measured with `benchmarks/bench_versions.py` (checkout
    into a new schema vs `INSERT … SELECT` of the final rows, 1,000,000 rows, patches of 10%
    each): in the quietest run so far, patches of 0.1 of the base checked out at 0.96x, 0.4 at
    1.44x and 0.5 at 1.57x, so 0.4 is the largest ratio under the 1.5x goal: it compacts (a
    full new base) as rarely as that goal allows. On a busy machine every ratio scatters
    between about 0.75x and 1.4x, so move the default only on figures from a quiet one:
    `--only sweep` times 0.1 to 0.6, and chains of 8, 16 and 32 patches of 1%, which checked
    out at 1.12x, 1.28x and 1.52x on one busy run: `max_chain` stops many small patches at
    about the same cost.
    """

    max_patch_ratio: float = 0.4
    max_chain: int = 32


class History(NamedTuple):
    """A schema's versions oldest first and its tags: what push and pull move."""

    versions: list[Version]
    tags: list[Tag]


class GcResult(NamedTuple):
    """Objects gc removed and the bytes they took."""

    removed: list[ObjectId]
    freed_bytes: int
