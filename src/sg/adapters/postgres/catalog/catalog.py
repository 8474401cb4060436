"""The catalog port over PostgreSQL's system catalogs."""

from __future__ import annotations

from psycopg import sql

from sg.adapters.postgres.catalog.relation import REGCLASS, relation_args, relation_size
from sg.domain.errors import TableNotFoundError
from sg.domain.model import ResultShape, TableRef
from sg.ports.sql import SqlRunner

_PRIMARY_KEY = sql.SQL(
    """SELECT a.attname, format_type(a.atttypid, a.atttypmod)
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = {regclass} AND i.indisprimary
    ORDER BY k.position"""
).format(regclass=REGCLASS)


class PostgresCatalog:
    """Reads table metadata through the SQL port."""

    def __init__(self, runner: SqlRunner) -> None:
        self._sql = runner

    def table_exists(self, table: TableRef) -> bool:
        """True when `table` exists (a missing schema is simply False)."""
        found = self._sql.run(
            sql.SQL("SELECT {} IS NOT NULL").format(REGCLASS),
            relation_args(table),
            ResultShape.ONE_ONE,
        )
        return bool(found)

    def primary_keys(self, table: TableRef) -> list[tuple[str, str]]:
        """`[(column, type)]` of the primary key in key order; `[]` when there is none."""
        rows = self._sql.run(_PRIMARY_KEY, relation_args(table), ResultShape.MANY_MANY)
        if not rows:
            self._require(table)
        return [(str(name), str(kind)) for name, kind in rows]

    def table_size(self, table: TableRef) -> int:
        """Bytes on disk, indexes and TOAST included."""
        return relation_size(self._sql, table)

    def create_schema(self, schema: str) -> None:
        """Create `schema` unless it exists; the caller commits."""
        self._sql.run(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)),
            None,
            ResultShape.NONE,
        )

    def lock_table(self, table: TableRef) -> None:
        """Take an EXCLUSIVE lock (blocks writers, not readers) until the transaction ends."""
        self._require(table)
        self._sql.run(
            sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.Identifier(*table)),
            None,
            ResultShape.NONE,
        )

    def _require(self, table: TableRef) -> None:
        if not self.table_exists(table):
            raise TableNotFoundError.named(*table)
