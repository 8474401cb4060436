"""The table-shapes port: read, build and compare the shape and rows of live tables."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

from sg.adapters.postgres.catalog.relation import REGCLASS, relation_args
from sg.adapters.postgres.catalog.type_names import check_type_name
from sg.adapters.postgres.versions.version_diff import VersionDiff
from sg.domain.errors import TableNotFoundError
from sg.domain.model import Change, ResultShape, StagedKeys, TableRef
from sg.domain.object_id import ObjectId
from sg.domain.versions import ColumnDef, IndexDef, TableShape
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

    def __init__(self, runner: SqlRunner) -> None:
        self._sql = runner
        self._diff = VersionDiff(runner, self.create)

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
        return self._diff.diff_built(old, new, shape)

    def diff_touched(
        self,
        old: Sequence[ObjectId],
        new: Sequence[ObjectId] | TableRef,
        shape: TableShape,
        touched: Sequence[ObjectId],
        pending: StagedKeys | None = None,
    ) -> list[Change]:
        """Net changes from chain `old` to `new`, reading only the keys that may differ."""
        return self._diff.diff_touched(old, new, shape, touched, pending)
