"""Write a table's rows as a psql-loadable script of multi-row INSERT statements."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import IO, Any, cast

from psycopg import sql

from sg.adapters.postgres.catalog.text_form import as_text
from sg.adapters.postgres.catalog.trust import require_plain_source
from sg.adapters.postgres.session.session_settings import CANONICAL_SETTINGS, pinned_settings
from sg.adapters.postgres.session.statements import as_query
from sg.domain.model import TableRef
from sg.ports.sql import ComposedSql, SqlRunner

ROWS_PER_INSERT = 1000
FETCH_ROWS = 5000

# Values are rendered by the server as text literals under the canonical settings; the
# script sets the same ones, so it reloads identically whatever either session had set.
_SET = sql.SQL("SET {} TO {};\n")
# The session that loads the script may be set up any way: it gets the settings the values
# were written under (sg's own statements run under `session_mode.PINNED` and UTC).
_SCRIPT_SETTINGS = {
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "TimeZone": "UTC",
    "extra_float_digits": "1",
    "bytea_output": "hex",
    "lc_monetary": "C",
    "array_nulls": "on",
    "xmloption": "content",
    "standard_conforming_strings": "on",
}


class PostgresTableSqlDumper:
    """The SQL-dump port: the server quotes every value, the client only streams lines."""

    def __init__(self, runner: SqlRunner) -> None:
        self._sql = runner

    def dump(
        self,
        table: TableRef,
        stream: IO[str] | IO[bytes],
        columns: str | Sequence[str] | ComposedSql,
        where: str | ComposedSql,
        where_args: Sequence[Any] | None,
    ) -> int:
        """Stream the selected rows to `stream` in bounded memory; return the row count."""
        require_plain_source(self._sql, table)
        selected: sql.Composable = sql.SQL("SELECT {columns} FROM {table}").format(
            columns=_column_list(columns), table=sql.Identifier(*table)
        )
        if where:
            selected = sql.SQL("{} WHERE {}").format(selected, as_query(where))
        args = list(where_args) if where_args else None
        names = self._sql.column_names(selected, args)
        aliases = [sql.Identifier(f"c{i}") for i in range(len(names))]
        literals = sql.SQL(", ").join(
            sql.SQL("pg_catalog.quote_nullable({})").format(as_text(alias)) for alias in aliases
        )
        render = sql.SQL(
            "SELECT pg_catalog.concat_ws(', ', {literals}) FROM ({selected}) AS s({aliases})"
        ).format(literals=literals, selected=selected, aliases=sql.SQL(", ").join(aliases))
        insert = (
            sql.SQL("INSERT INTO {} ({}) VALUES\n")
            .format(sql.Identifier(*table), sql.SQL(", ").join(map(sql.Identifier, names)))
            .as_string(None)
        )
        write = _writer(stream)
        write(_preamble())
        with pinned_settings(self._sql, CANONICAL_SETTINGS):
            count = _write_inserts(write, insert, self._sql.stream(render, args, FETCH_ROWS))
        write(f"-- {count} row(s)\n")
        return count


def _column_list(columns: str | Sequence[str] | ComposedSql) -> sql.Composable:
    if isinstance(columns, str):
        return sql.SQL(columns)
    if isinstance(columns, sql.Composable):
        return columns
    return sql.SQL(", ").join(sql.Identifier(name) for name in cast(Sequence[str], columns))


def _preamble() -> str:
    # No table name in comments: a name may hold a newline and would end the comment.
    settings = _SCRIPT_SETTINGS
    # the names are our own constants, the values literals
    statements = (_SET.format(sql.SQL(k), sql.Literal(v)) for k, v in settings.items())
    return "-- sg SQL dump\n" + "".join(s.as_string(None) for s in statements)


def _write_inserts(write: Any, insert: str, rows: Iterator[tuple[Any, ...]]) -> int:
    count = 0
    for (literal,) in rows:
        write((insert if count % ROWS_PER_INSERT == 0 else ",\n") + f"({literal})")
        count += 1
        if count % ROWS_PER_INSERT == 0:
            write(";\n")
    if count % ROWS_PER_INSERT:
        write(";\n")
    return count


def _writer(stream: IO[str] | IO[bytes]) -> Any:
    if isinstance(stream, io.TextIOBase) or hasattr(stream, "encoding"):
        return cast(IO[str], stream).write
    binary = cast(IO[bytes], stream)
    return lambda text: binary.write(text.encode("utf-8"))
