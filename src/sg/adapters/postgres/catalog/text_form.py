"""A value's text as its type's output function writes it, NULL kept NULL.

Never `value::text`: a cast to text may be a function written by the type's owner, and sg
runs with the engine role's rights; output functions of types sg accepts are built in.
"""

from __future__ import annotations

from psycopg import sql


def as_text(value: sql.Composable) -> sql.Composable:
    """SQL for the text form of `value` (NULL when it is NULL)."""
    return sql.SQL(
        "CASE WHEN pg_catalog.num_nulls({0}) = 0 THEN pg_catalog.concat({0}) END"
    ).format(value)
