"""The table-shapes port: read, build and compare the shape and rows of live tables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import sql

from sg.adapters.postgres.catalog.relation import REGCLASS, relation_args
from sg.adapters.postgres.catalog.type_names import check_type_name
from sg.domain.errors import TableNotFoundError
from sg.domain.model import Change, ChangeKind, ResultShape, TableRef
from sg.domain.object_id import OBJECT_SCHEMA, ObjectId
from sg.domain.versions import ColumnDef, IndexDef, TableShape
from sg.ports.fragments import FragmentStore
from sg.ports.sql import SqlRunner

_TABLES = sql.SQL(
    "SELECT c.relname FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = %s AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}')"
    " AND NOT c.relispartition ORDER BY c.relname"
)
_COLUMNS = sql.SQL(
    """SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
        pg_catalog.pg_get_expr(d.adbin, d.adrelid)
    FROM pg_catalog.pg_attribute a
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = {regclass} AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum"""
).format(regclass=REGCLASS)
_KEY = sql.SQL(
    """SELECT a.attname
    FROM pg_catalog.pg_index i
    CROSS JOIN LATERAL pg_catalog.unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = {regclass} AND i.indisprimary
    ORDER BY k.position"""
).format(regclass=REGCLASS)
# The `USING ...` part of each index's definition: what follows the table's own name in it.
_INDEXES = sql.SQL(
    """SELECT c.relname, i.indisunique, pg_catalog.substr(def.text, pg_catalog.strpos(
                def.text, {regclass}::pg_catalog.text OPERATOR(pg_catalog.||) ' USING ')
            OPERATOR(pg_catalog.+) pg_catalog.length({regclass}::pg_catalog.text)
            OPERATOR(pg_catalog.+) 1)
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
    CROSS JOIN LATERAL pg_catalog.pg_get_indexdef(i.indexrelid) AS def(text)
    WHERE i.indrelid = {regclass} AND NOT i.indisprimary
    ORDER BY c.relname"""
).format(regclass=REGCLASS)


class PostgresTableShapes:
    """Reads and builds tables' shapes and compares rows, through the SQL port."""

    def __init__(self, runner: SqlRunner, fragments: FragmentStore) -> None:
        self._sql = runner
        self._fragments = fragments

    def tables(self, schema: str) -> list[str]:
        """Names of the ordinary and partitioned tables of `schema`, sorted."""
        return [str(n) for n in self._sql.run(_TABLES, [schema], ResultShape.MANY_ONE)]

    def describe(self, table: TableRef) -> TableShape:
        """The table's columns, key and indexes; `TableNotFoundError` when it is missing."""
        args = relation_args(table)
        rows = self._sql.run(_COLUMNS, args, ResultShape.MANY_MANY)
        if not rows:
            raise TableNotFoundError.named(*table)
        columns = tuple(ColumnDef(str(n), str(t), bool(nn), d) for n, t, nn, d in rows)
        key = tuple(str(k) for k in self._sql.run(_KEY, args, ResultShape.MANY_ONE))
        indexes = tuple(
            IndexDef(str(name), bool(unique), str(using))
            for name, unique, using in self._sql.run(_INDEXES, args, ResultShape.MANY_MANY)
        )
        return TableShape(columns, key, indexes)

    def create_schema(self, schema: str) -> None:
        """Create `schema` unless it exists."""
        statement = sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
        self._sql.run(statement, None, ResultShape.NONE)

    def create(self, table: TableRef, shape: TableShape) -> None:
        """Create `table` with the shape's columns (NOT NULL, defaults), without key or indexes."""
        columns = []
        for column in shape.columns:
            parts = [sql.Identifier(column.name), sql.SQL(check_type_name(column.type))]
            if column.not_null:
                parts.append(sql.SQL("NOT NULL"))
            if column.default is not None:
                parts.append(sql.SQL("DEFAULT {}").format(sql.SQL(column.default)))
            columns.append(sql.SQL(" ").join(parts))
        statement = sql.SQL("CREATE TABLE {} ({})").format(
            sql.Identifier(*table), sql.SQL(", ").join(columns)
        )
        self._sql.run(statement, [], ResultShape.NONE)

    def add_indexes(self, table: TableRef, shape: TableShape) -> None:
        """Add the shape's primary key and indexes to the table `create` made."""
        target = sql.Identifier(*table)
        if shape.key:
            statement = sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                target, sql.SQL(", ").join(map(sql.Identifier, shape.key))
            )
            self._sql.run(statement, [], ResultShape.NONE)
        for index in shape.indexes:
            statement = sql.SQL("CREATE {}INDEX {} ON {} {}").format(
                sql.SQL("UNIQUE " if index.unique else ""),
                sql.Identifier(index.name),
                target,
                sql.SQL(index.using),
            )
            self._sql.run(statement, [], ResultShape.NONE)

    def truncate(self, table: TableRef) -> None:
        """Remove every row of `table` (untracked tables only: capture would record it)."""
        statement = sql.SQL("TRUNCATE TABLE {}").format(sql.Identifier(*table))
        self._sql.run(statement, None, ResultShape.NONE)

    def drop(self, table: TableRef) -> None:
        """Drop `table`; missing is not an error."""
        statement = sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(*table))
        self._sql.run(statement, None, ResultShape.NONE)

    def diff(
        self,
        old: Sequence[ObjectId] | TableRef,
        new: Sequence[ObjectId] | TableRef,
        shape: TableShape,
    ) -> list[Change]:
        """Net changes from `old` to `new` (object chains or a live table) in key order."""
        scratch: list[TableRef] = []
        try:
            before = self._rows_of(old, shape, scratch)
            after = self._rows_of(new, shape, scratch)
            added = self._except(after, before)
            removed = self._except(before, after)
        finally:
            for table in scratch:
                self.drop(table)
        names = [c.name for c in shape.columns]
        return _changes(names, list(shape.key), added, removed)

    def _rows_of(
        self, source: Sequence[ObjectId] | TableRef, shape: TableShape, scratch: list[TableRef]
    ) -> TableRef:
        if isinstance(source, TableRef):
            return source
        table = TableRef("pg_temp", f"sg_diff_{uuid.uuid4().hex}")
        self.create(
            table,
            shape._replace(
                columns=tuple(c._replace(not_null=False, default=None) for c in shape.columns)
            ),
        )
        scratch.append(table)
        if source:
            fragments = [TableRef(OBJECT_SCHEMA, o) for o in source]
            self._fragments.apply(fragments, table, list(shape.key), None)
        return table

    def _except(self, left: TableRef, right: TableRef) -> list[tuple[Any, ...]]:
        statement = sql.SQL("SELECT * FROM {} EXCEPT ALL SELECT * FROM {}").format(
            sql.Identifier(*left), sql.Identifier(*right)
        )
        return list(self._sql.run(statement, None, ResultShape.MANY_MANY))


def _changes(
    names: list[str], key: list[str], added: list[tuple[Any, ...]], removed: list[tuple[Any, ...]]
) -> list[Change]:
    positions = [names.index(k) for k in key] or list(range(len(names)))

    def key_of(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(row[p] for p in positions)

    def as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(names, row, strict=True))

    changes: list[tuple[tuple[Any, ...], Change]] = []
    if not key:
        for row in added:
            changes.append((row, Change(row, ChangeKind.INSERT, as_dict(row))))
        for row in removed:
            changes.append((row, Change(row, ChangeKind.DELETE, as_dict(row))))
    else:
        new_rows = {key_of(r): r for r in added}
        old_rows = {key_of(r): r for r in removed}
        for k, row in new_rows.items():
            old = old_rows.get(k)
            if old is None:
                change = Change(k, ChangeKind.INSERT, as_dict(row))
            else:
                data = {n: v for n, v, o in zip(names, row, old, strict=True) if v != o}
                change = Change(k, ChangeKind.UPDATE, data)
            changes.append((k, change))
        for k, row in old_rows.items():
            if k not in new_rows:
                changes.append((k, Change(k, ChangeKind.DELETE, as_dict(row))))
    return [change for _, change in sorted(changes, key=lambda item: _order(item[0]))]


def _order(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A sort key for key tuples that puts NULLs last and never compares across types."""
    return tuple((v is None, type(v).__name__, v if v is not None else 0) for v in values)
