"""Helpers shared by the object tests: engines, patches and whole-table comparisons."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from sg import PostgresEngine, ResultShape
from sg.domain.model import TableRef


def ready(engine: PostgresEngine) -> PostgresEngine:
    """The engine, initialized and committed."""
    engine.initialize()
    return engine


def store_patch(
    engine: PostgresEngine,
    schema: str,
    table: str,
    inserted: list[tuple[Any, ...]],
    deleted: list[tuple[Any, ...]],
) -> str:
    """Store the table's current state of the changed keys as an object (what
    `commit_changes` will do with tracked changes)."""
    return str(engine.objects.store_object(TableRef(schema, table), inserted, deleted))


def differences(engine: PostgresEngine, left: TableRef, right: TableRef) -> int:
    """Rows in one table and not the other, multiset-wise, compared as row text."""
    # ROW(x.*) rather than x: a bare alias would name a column of that name, if any.
    query = sql.SQL(
        "SELECT (SELECT count(*) FROM (SELECT ROW(x.*)::text FROM {l} AS x EXCEPT ALL"
        " SELECT ROW(y.*)::text FROM {r} AS y) AS a)"
        " + (SELECT count(*) FROM (SELECT ROW(y.*)::text FROM {r} AS y EXCEPT ALL"
        " SELECT ROW(x.*)::text FROM {l} AS x) AS b)"
    ).format(l=sql.Identifier(*left), r=sql.Identifier(*right))
    return int(engine.run_sql(query, return_shape=ResultShape.ONE_ONE))


def count(engine: PostgresEngine, table: TableRef) -> int:
    """Rows in `table`."""
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*table))
    return int(engine.run_sql(query, return_shape=ResultShape.ONE_ONE))


def clone_empty(engine: PostgresEngine, source: TableRef, name: str) -> TableRef:
    """`CREATE TABLE name (LIKE source INCLUDING ALL)` in the source's schema."""
    target = TableRef(source.schema, name)
    engine.run_sql(
        sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
            sql.Identifier(*target), sql.Identifier(*source)
        )
    )
    return target


def objects_of(ids: list[str]) -> list[tuple[str, str]]:
    """`[("sg_meta", id)]` for `apply_fragments`."""
    return [("sg_meta", object_id) for object_id in ids]
