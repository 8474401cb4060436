"""Resolving a schema-qualified table name to its relation, with the names as parameters."""

from __future__ import annotations

from psycopg import sql

from sg.domain.errors import TableNotFoundError
from sg.domain.model import ResultShape, TableRef
from sg.ports.sql import SqlRunner

# The table's regclass (NULL when missing), with the names bound as `%(schema)s` and
# `%(table)s` parameters so they never reach the SQL text.
REGCLASS = sql.SQL("to_regclass(quote_ident(%(schema)s) || '.' || quote_ident(%(table)s))")


def relation_args(table: TableRef) -> dict[str, str]:
    """The parameters `REGCLASS` takes for `table`."""
    return {"schema": table.schema, "table": table.table}


def relation_size(runner: SqlRunner, table: TableRef) -> int:
    """Bytes `table` takes on disk, indexes and TOAST included; `TableNotFoundError` if missing."""
    return _bytes(runner, table, sql.SQL("SELECT pg_total_relation_size({})").format(REGCLASS))


def inherited_size(runner: SqlRunner, table: TableRef) -> int:
    """Bytes `table` and every table inheriting from it (partitions too) take on disk: what
    a scan of `table` reads. `TableNotFoundError` if missing."""
    return _bytes(runner, table, _INHERITED_SIZE.format(regclass=REGCLASS))


def _bytes(runner: SqlRunner, table: TableRef, query: sql.Composable) -> int:
    """The size `query` (bound with `relation_args(table)`) reports; NULL: `table` is missing."""
    size = runner.run(query, relation_args(table), ResultShape.ONE_ONE)
    if size is None:
        raise TableNotFoundError.named(*table)
    return int(size)


_INHERITED_SIZE = sql.SQL(
    """WITH RECURSIVE tree (oid) AS (
        SELECT {regclass}::pg_catalog.oid
        UNION
        SELECT i.inhrelid FROM pg_catalog.pg_inherits i
        JOIN tree t ON i.inhparent OPERATOR(pg_catalog.=) t.oid
    )
    SELECT pg_catalog.sum(pg_catalog.pg_total_relation_size(oid)) FROM tree"""
)
