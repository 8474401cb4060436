"""Primary keys, table sizes, locks and hostile identifiers."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from psycopg import sql

from sg import PsycopgEngine, ResultShape, TableNotFoundError
from tests.support.servers import TestServer

HOSTILE_SCHEMA = 'Odd "Schema"; DROP'
HOSTILE_TABLE = "Tab'le ünï 表 ;--"
HOSTILE_COLUMN = 'Co"l; x'


def test_composite_primary_key_in_key_order(engine: PsycopgEngine) -> None:
    engine.run_sql(
        "CREATE TABLE t (a int, b text, c date, d numeric(10, 2), PRIMARY KEY (c, a, d))"
    )
    assert engine.get_primary_keys("public", "t") == [
        ("c", "date"),
        ("a", "integer"),
        ("d", "numeric(10,2)"),
    ]


def test_table_without_primary_key(engine: PsycopgEngine) -> None:
    engine.run_sql("CREATE TABLE t (a int UNIQUE, b text)")
    assert engine.get_primary_keys("public", "t") == []


def test_unknown_table_is_a_typed_error(engine: PsycopgEngine) -> None:
    with pytest.raises(TableNotFoundError, match=r"public\.missing"):
        engine.get_primary_keys("public", "missing")
    with pytest.raises(TableNotFoundError, match=r"nowhere\.missing"):
        engine.get_table_size("nowhere", "missing")
    with pytest.raises(TableNotFoundError):
        engine.lock_table("public", "missing")


def test_table_size_grows_with_rows(engine: PsycopgEngine) -> None:
    engine.run_sql("CREATE TABLE t (a int PRIMARY KEY, b text)")
    empty = engine.get_table_size("public", "t")
    engine.run_sql("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g")
    assert engine.get_table_size("public", "t") > empty + 5000 * 200


def _create_hostile(engine: PsycopgEngine) -> None:
    engine.run_sql(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(HOSTILE_SCHEMA)))
    engine.run_sql(
        sql.SQL("CREATE TABLE {} ({} int, {} text, PRIMARY KEY ({}, {}))").format(
            sql.Identifier(HOSTILE_SCHEMA, HOSTILE_TABLE),
            sql.Identifier(HOSTILE_COLUMN),
            sql.Identifier("MixedCase Col"),
            sql.Identifier("MixedCase Col"),
            sql.Identifier(HOSTILE_COLUMN),
        )
    )
    engine.run_sql(
        sql.SQL("INSERT INTO {} VALUES (1, 'a''b'), (2, 'ü')").format(
            sql.Identifier(HOSTILE_SCHEMA, HOSTILE_TABLE)
        )
    )


def test_hostile_identifiers(engine: PsycopgEngine) -> None:
    _create_hostile(engine)
    assert engine.get_primary_keys(HOSTILE_SCHEMA, HOSTILE_TABLE) == [
        ("MixedCase Col", "text"),
        (HOSTILE_COLUMN, "integer"),
    ]
    assert engine.get_table_size(HOSTILE_SCHEMA, HOSTILE_TABLE) > 0
    engine.lock_table(HOSTILE_SCHEMA, HOSTILE_TABLE)
    assert engine.table_exists(HOSTILE_SCHEMA, HOSTILE_TABLE)
    assert not engine.table_exists(HOSTILE_SCHEMA, HOSTILE_TABLE + "x")
    engine.run_sql_batch(
        sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(sql.Identifier(HOSTILE_TABLE)),
        [(3, "c"), (4, "d")],
        schema=HOSTILE_SCHEMA,
    )
    assert (
        engine.run_sql(
            sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(HOSTILE_SCHEMA, HOSTILE_TABLE)
            ),
            return_shape=ResultShape.ONE_ONE,
        )
        == 4
    )


def test_lock_table_blocks_writers_not_readers(
    engine: PsycopgEngine, server: TestServer, db_params: dict[str, str]
) -> None:
    engine.run_sql("CREATE TABLE t (a int)")
    engine.commit()
    engine.lock_table("public", "t")
    with server.admin_connect(db_params["SG_ENGINE_DB_NAME"]) as other:
        assert other.execute("SELECT count(*) FROM t").fetchone() == (0,)  # reads pass
        other.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("INSERT INTO t VALUES (1)")
        # once the lock holder commits, the same write goes through
        done = threading.Event()

        def write() -> None:
            other.execute("SET lock_timeout = '10s'")
            other.execute("INSERT INTO t VALUES (2)")
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.3)
        assert not done.is_set()
        engine.commit()
        writer.join(10)
        assert done.is_set()
