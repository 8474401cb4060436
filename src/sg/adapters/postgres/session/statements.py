"""Statements as psycopg runs them: text or composed SQL, `%` escaped, results shaped."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from sg.adapters.postgres.session.connection import Connection
from sg.domain.model import ResultShape
from sg.ports.sql import Statement


def as_query(statement: Statement) -> sql.SQL | sql.Composed:
    """A psycopg query from a `str` (trusted SQL text, as in the reference API) or Composable."""
    if isinstance(statement, str):
        return sql.SQL(statement)
    if isinstance(statement, sql.SQL | sql.Composed):
        return statement
    if isinstance(statement, sql.Composable):
        return sql.Composed([statement])
    raise TypeError(f"a statement must be str or psycopg.sql.Composable, not {type(statement)}")


def with_arguments(
    query: sql.SQL | sql.Composed, arguments: object, context: Connection
) -> sql.SQL | sql.Composed:
    """`query` ready for execution with `arguments`: `%` inside identifiers and literals doubled.

    psycopg scans the rendered text for placeholders, so an identifier such as `50% off`
    would otherwise be read as one.
    """
    if arguments is None or not isinstance(query, sql.Composed):
        return query
    return sql.Composed([_escape_percent(part, context) for part in query])


def _escape_percent(part: sql.Composable, context: Connection) -> sql.Composable:
    if isinstance(part, sql.Composed):
        return sql.Composed([_escape_percent(p, context) for p in part])
    if isinstance(part, sql.Identifier | sql.Literal):
        text = part.as_string(context)
        return sql.SQL(text.replace("%", "%%")) if "%" in text else part
    return part


def shape_result(cursor: psycopg.Cursor[tuple[Any, ...]], shape: ResultShape) -> Any:
    """Shape a cursor's result set as `ResultShape` says (None when there is no result set)."""
    if cursor.description is None or shape == ResultShape.NONE:
        return None
    if shape == ResultShape.ONE_ONE:
        row = cursor.fetchone()
        return None if row is None else row[0]
    if shape == ResultShape.ONE_MANY:
        return cursor.fetchone()
    rows = cursor.fetchall()
    if shape == ResultShape.MANY_ONE:
        return [row[0] for row in rows]
    return rows
