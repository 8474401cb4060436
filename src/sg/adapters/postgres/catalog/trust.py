"""Refuse work that would run code owned by a role sg does not trust (see `sql/040_trust.sql`)."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

from sg.adapters.postgres.catalog.relation import REGCLASS, relation_args
from sg.domain.errors import TableNotFoundError, UntrustedObjectError
from sg.domain.model import ResultShape, TableRef
from sg.ports.sql import SqlRunner

_SOURCE = sql.SQL(
    "SELECT c.relkind, pg_catalog.row_security_active(c.oid) FROM pg_catalog.pg_class c"
    " WHERE c.oid = {}"
).format(REGCLASS)
_TYPES = sql.SQL(
    "SELECT c.problem FROM (SELECT u.o,"
    " sg_meta.untrusted_type_code(pg_catalog.to_regtype(u.t)) AS problem"
    " FROM pg_catalog.unnest(%s::pg_catalog.text[]) WITH ORDINALITY AS u(t, o)) c"
    " WHERE c.problem IS NOT NULL ORDER BY c.o LIMIT 1"
)
_COLUMNS = sql.SQL("SELECT sg_meta.untrusted_column_type({}::pg_catalog.oid)").format(REGCLASS)
_TARGET = sql.SQL("SELECT sg_meta.untrusted_target({}::pg_catalog.oid)").format(REGCLASS)

# Reading these runs nothing but the rows' own output: plain and partitioned tables.
_READABLE_KINDS = ("r", "p")


def require_plain_source(runner: SqlRunner, table: TableRef) -> None:
    """Raise unless `table` is a table (a view, for one, would run its functions as sg)."""
    row = runner.run(_SOURCE, relation_args(table), ResultShape.ONE_MANY)
    if row is None:
        raise TableNotFoundError.named(*table)
    kind, row_security = row
    if kind not in _READABLE_KINDS:
        raise UntrustedObjectError(
            f"{table} is not a table (a view, materialized view, foreign table or sequence); "
            "sg stores only tables"
        )
    if row_security:
        raise UntrustedObjectError(
            f"row-level security policies of {table} apply to the engine role: sg would see "
            "only some of its rows and run the policies' code; use a role that owns the "
            "table, a superuser, or one with BYPASSRLS"
        )


def require_trusted_types(runner: SqlRunner, types: Sequence[str]) -> None:
    """Raise if values of any of these types (names as sg spells them) run untrusted code."""
    problem = runner.run(_TYPES, [list(types)], ResultShape.ONE_ONE)
    if problem is not None:
        raise UntrustedObjectError(
            f"refusing to create a table of these columns: {problem}; "
            "have a superuser or the engine role own the type"
        )


def require_trusted_columns(runner: SqlRunner, table: TableRef) -> None:
    """Raise if values of a column of `table` run untrusted code when stored (domain checks),
    or if `table` is no table sg can read whole."""
    require_plain_source(runner, table)
    problem = runner.run(_COLUMNS, relation_args(table), ResultShape.ONE_ONE)
    if problem is not None:
        raise UntrustedObjectError(
            f"refusing to track {table}: {problem}; its capture would run that code with "
            "the engine role's rights (have a superuser or the engine role own the type)"
        )


def require_trusted_target(runner: SqlRunner, table: TableRef) -> None:
    """Raise unless sg may write into `table` without running an untrusted role's code."""
    problem = runner.run(_TARGET, relation_args(table), ResultShape.ONE_ONE)
    if problem is not None:
        raise UntrustedObjectError(
            f"refusing to write into {table}: {problem}; "
            "write into a new table, or have a superuser or the engine role own it"
        )
