"""Resolving a schema-qualified table name to its relation, with the names as parameters."""

from __future__ import annotations

from psycopg import sql

from sg.domain.model import TableRef

# The table's regclass (NULL when missing), with the names bound as `%(schema)s` and
# `%(table)s` parameters so they never reach the SQL text.
REGCLASS = sql.SQL("to_regclass(quote_ident(%(schema)s) || '.' || quote_ident(%(table)s))")


def relation_args(table: TableRef) -> dict[str, str]:
    """The parameters `REGCLASS` takes for `table`."""
    return {"schema": table.schema, "table": table.table}
