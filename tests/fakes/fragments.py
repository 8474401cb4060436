"""An in-memory fake of the fragment-store port over the fake database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sg.adapters.postgres.catalog.type_names import check_type_name
from sg.domain.column_schema import FLAG_COLUMN, with_flag
from sg.domain.content_digest import digest_of_images
from sg.domain.errors import (
    IntegrityViolationError,
    InvalidIdentifierError,
)
from sg.domain.model import ColumnSpec, RowFilter, StagedKeys, TableRef
from sg.domain.object_record import ContentDigest, FragmentInfo
from tests.fakes.database import FakeDatabase, FakeTable, Row, image


@dataclass(frozen=True)
class FakeQuals:
    """The row-filter condition the fake store understands: `column op %s`."""

    column: str
    op: str
    test: Callable[[Any, Any], bool]


class FakeFragmentStore:
    """The fragment port over `FakeDatabase`; apply is the plain one-fragment-at-a-time rule."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def columns(self, table: TableRef) -> list[ColumnSpec]:
        """The table's columns."""
        return list(self.db.table(table).columns)

    def missing(self, tables: Sequence[TableRef]) -> list[TableRef]:
        """Tables not in the database, in the order given."""
        self.db.operations += 1
        return [t for t in tables if t not in self.db.tables]

    def create_fragment(
        self, target: TableRef, source: TableRef, keys: Sequence[Row]
    ) -> FragmentInfo:
        """The source's current state of the given keys."""
        src = self._source(source)
        key_of, whole_row = _key_function(src.columns)
        wanted: list[Row] = []
        for key in keys:
            if tuple(key) not in wanted:
                wanted.append(tuple(key))
        rows = [(*row, True) for row in src.rows if key_of(row) in wanted]
        for key in wanted:
            if whole_row or not any(key_of(row) == key for row in src.rows):
                rows.append(_marker(src.columns, key))
        return self._create(target, src.columns, rows)

    def create_staged_fragment(
        self, target: TableRef, source: TableRef, keys: StagedKeys
    ) -> FragmentInfo:
        """The source's current state of keys held by `FakeDatabase.stage`."""
        return self.create_fragment(target, source, self.db.staged[keys.handle])

    def create_snapshot(self, target: TableRef, source: TableRef) -> FragmentInfo:
        """Every source row as an upsert."""
        src = self._source(source)
        return self._create(target, src.columns, [(*row, True) for row in src.rows])

    def create_table(self, table: TableRef, columns: Sequence[ColumnSpec], with_key: bool) -> None:
        """An empty table with these columns (type names checked like the real store)."""
        for column in columns:
            check_type_name(column.type)
        kept = list(columns) if with_key else [c._replace(is_pk=False) for c in columns]
        self.db.add_table(table, kept, [])

    def add_primary_key(self, table: TableRef, key: Sequence[str]) -> None:
        """Mark `key` as the primary key once the rows' keys are unique and not NULL."""
        fake = self.db.table(table)
        positions = [i for i, c in enumerate(fake.columns) if c.name in key]
        keys = [tuple(row[i] for i in positions) for row in fake.rows]
        if len(set(keys)) < len(keys) or any(None in k for k in keys):
            raise IntegrityViolationError("could not create unique index: duplicate key", "23505")
        fake.columns = [c._replace(is_pk=c.name in key) for c in fake.columns]

    def content_digest(self, table: TableRef) -> ContentDigest:
        """Row count and digest of the rows' images."""
        rows = self.db.table(table).rows
        return ContentDigest(len(rows), digest_of_images(image(row) for row in rows))

    def flag_counts(self, table: TableRef) -> tuple[int, int]:
        """Upserts and delete markers."""
        flags = [row[-1] for row in self.db.table(table).rows]
        return flags.count(True), flags.count(False)

    def table_size(self, table: TableRef) -> int:
        """Bytes of the rows' images."""
        return sum(len(image(row)) for row in self.db.table(table).rows)

    def block_writers(self, table: TableRef) -> None:
        """Nothing else writes a fake table."""
        self.db.table(table)

    def rename(self, table: TableRef, new_name: str) -> None:
        """Move the table to a new name in its schema."""
        moved = self.db.table(table)
        self.db.add_table(TableRef(table.schema, new_name), moved.columns, moved.rows)
        del self.db.tables[table]

    def drop(self, table: TableRef) -> None:
        """Forget the table."""
        self.db.table(table)
        del self.db.tables[table]

    def apply(
        self,
        fragments: Sequence[TableRef],
        target: TableRef,
        key: Sequence[str] | None,
        row_filter: RowFilter | None,
    ) -> None:
        """Per fragment: delete the keys it mentions, insert its upserts that pass quals."""
        dest = self.db.table(target)
        rows = list(dest.rows)
        names = [c.name for c in dest.columns]
        if key is not None:
            columns = [c._replace(is_pk=c.name in key) for c in dest.columns]
            key_of, _ = _key_function(columns)
        else:
            key_of, _ = _key_function(dest.columns)
        for ref in fragments:
            fragment = self.db.table(ref)
            mentioned = [key_of(row[:-1]) for row in fragment.rows]
            rows = [row for row in rows if key_of(row) not in mentioned]
            upserts = [row[:-1] for row in fragment.rows if row[-1]]
            rows += [row for row in upserts if _passes(row_filter, names, row)]
        dest.rows = rows

    def _source(self, source: TableRef) -> FakeTable:
        src = self.db.table(source)
        if any(c.name == FLAG_COLUMN for c in src.columns):
            raise InvalidIdentifierError(f"{source} has a column named {FLAG_COLUMN}")
        return src

    def _create(self, target: TableRef, columns: list[ColumnSpec], rows: list[Row]) -> FragmentInfo:
        specs = with_flag(columns)
        self.db.add_table(target, [c._replace(is_pk=False) for c in specs], sorted(rows, key=image))
        flags = [row[-1] for row in rows]
        content = self.content_digest(target)
        return FragmentInfo(tuple(specs), flags.count(True), flags.count(False), content)


def _key_function(columns: Sequence[ColumnSpec]) -> tuple[Callable[[Row], Row], bool]:
    positions = [i for i, c in enumerate(columns) if c.is_pk]
    if not positions:
        return (lambda row: tuple(row[: len(columns)])), True
    return (lambda row: tuple(row[i] for i in positions)), False


def _marker(columns: Sequence[ColumnSpec], key: Row) -> Row:
    positions = [i for i, c in enumerate(columns) if c.is_pk] or list(range(len(columns)))
    values: list[Any] = [None] * len(columns)
    for position, value in zip(positions, key, strict=True):
        values[position] = value
    return (*values, False)


def _passes(row_filter: RowFilter | None, names: list[str], row: Row) -> bool:
    if row_filter is None:
        return True
    quals, args = row_filter
    if not isinstance(quals, FakeQuals) or len(args) != 1:
        raise NotImplementedError("the fake store understands FakeQuals with one argument only")
    return quals.test(row[names.index(quals.column)], args[0])
