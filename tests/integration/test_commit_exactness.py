"""commit_changes stores exactly the changed rows, whatever the key order or the value types."""

from __future__ import annotations

import pytest
from psycopg import sql

from sg import PostgresEngine, ResultShape
from tests.support.engines import EngineFactory

ROWS = "SELECT coalesce(array_agg(t::text ORDER BY t::text), '{{}}') FROM {} t"


def _rows(engine: PostgresEngine, schema: str, table: str) -> list[str]:
    rows = engine.run_sql(
        sql.SQL(ROWS).format(sql.Identifier(schema, table)), return_shape=ResultShape.ONE_ONE
    )
    assert isinstance(rows, list)
    return rows


@pytest.fixture
def engine(make_engine: EngineFactory) -> PostgresEngine:
    eng = make_engine(PostgresEngine)
    eng.initialize()
    return eng


def _commit_and_rebuild(engine: PostgresEngine, table: str, change: str) -> str:
    """Snapshot and track `table`, run `change`, commit it; check the rebuild; the patch id."""
    base = engine.snapshot_table("public", table)
    engine.track_tables([("public", table)])
    engine.commit()
    engine.run_sql(change)
    engine.commit()
    patch = engine.commit_changes("public", table)
    engine.commit()
    assert patch is not None
    assert engine.get_pending_changes("public", table) == []
    engine.checkout_objects([base, patch], "rebuilt", table)
    engine.commit()
    assert _rows(engine, "rebuilt", table) == _rows(engine, "public", table)
    return patch


def test_a_key_in_another_order_than_the_columns(engine: PostgresEngine) -> None:
    engine.run_sql("CREATE TABLE t (a int, b int, v text, PRIMARY KEY (b, a))")
    engine.run_sql("INSERT INTO t VALUES (1, 2, 'x'), (2, 1, 'z')")
    patch = _commit_and_rebuild(engine, "t", "UPDATE t SET v = 'y' WHERE a = 1")
    record = engine.describe_object(patch)
    assert (record.rows_upserted, record.rows_deleted) == (1, 0)
    assert _rows(engine, "sg_meta", patch) == ["(1,2,y,t)"]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("text[]", "'{a,NULL,\"b c\"}'"),
        ("int[]", "'{{1,2},{3,4}}'"),
        ("jsonb", "'{\"k\": [1, 2]}'"),
        ("jsonb", "'[1, {\"a\": null}]'"),
    ],
)
def test_a_table_without_key_holding_unhashable_values(
    engine: PostgresEngine, column: str, value: str
) -> None:
    engine.run_sql(f"CREATE TABLE t (a int, b {column})")
    engine.run_sql(f"INSERT INTO t VALUES (1, {value})")
    patch = _commit_and_rebuild(
        engine, "t", f"INSERT INTO t VALUES (2, {value}), (2, {value}), (1, {value})"
    )
    record = engine.describe_object(patch)
    assert (record.rows_upserted, record.rows_deleted) == (4, 2)


@pytest.mark.parametrize("value", ["'null'", "'1.00000000000000000001'", "'[1.0, 1e400]'"])
def test_a_table_without_key_holding_values_python_does_not_keep(
    engine: PostgresEngine, value: str
) -> None:
    engine.run_sql("CREATE TABLE t (a int, j jsonb, js json)")
    engine.run_sql("INSERT INTO t VALUES (1, '2', '2')")
    patch = _commit_and_rebuild(
        engine, "t", f"INSERT INTO t VALUES (2, {value}, {value}); DELETE FROM t WHERE a = 1"
    )
    record = engine.describe_object(patch)
    assert (record.rows_upserted, record.rows_deleted) == (1, 2)
