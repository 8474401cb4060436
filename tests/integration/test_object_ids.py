"""Object ids: content-derived, independent of row order, sessions, servers and settings."""

from __future__ import annotations

import threading

import pytest

from sg import EngineNotInitializedError, PostgresEngine
from tests.support.engines import EngineFactory
from tests.support.objects import ready
from tests.support.servers import TestServer

SETUP = [
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE TYPE stamp AS (at timestamptz, x float8, span interval)",
    "CREATE TABLE t (id int PRIMARY KEY, at timestamptz, x float8, span interval, d date,"
    " n numeric, m mood, s stamp, label text, money money)",
]
VALUES = [
    "(1, '2024-01-02 03:04:05.678+01', 0.1, '1 day 02:00', '2024-02-29', 1.50, 'ok',"
    " ROW('2024-01-02 03:04:05+00', 1.0/3, '-1 year'), 'ünï 表', 3.5)",
    "(2, NULL, 'NaN', '-7 mons', 'infinity', NULL, NULL, NULL, E'a\\nb', NULL)",
    "(3, '1999-12-31 23:59:59.999999-08', 1e300, '0', '2000-01-01', -0.0001, 'sad',"
    " ROW(NULL, NULL, '3 hours'), '', 0)",
]
HOSTILE_SETTINGS = [
    "SET DateStyle = 'SQL, DMY'",
    "SET TimeZone = 'Asia/Kolkata'",
    "SET extra_float_digits = -15",
    "SET IntervalStyle = 'sql_standard'",
    "SET bytea_output = 'escape'",
    "SET search_path = pg_catalog",
    "SET client_encoding = 'LATIN1'",
]


def _fill(engine: PostgresEngine, order: list[int]) -> None:
    for statement in SETUP:
        engine.run_sql(statement)
    for position in order:
        engine.run_sql(f"INSERT INTO t VALUES {VALUES[position]}")
    engine.commit()


def test_same_rows_on_another_server_under_other_settings_have_the_same_id(
    make_engine: EngineFactory, remote_server: TestServer
) -> None:
    here = ready(make_engine(PostgresEngine))
    there = ready(make_engine(PostgresEngine, on=remote_server))
    _fill(here, [0, 1, 2])
    _fill(there, [2, 0, 1])
    there.run_sql("UPDATE t SET label = label WHERE id = 3")  # moves the row physically
    for statement in HOSTILE_SETTINGS:
        there.run_sql(statement)
    expected = here.snapshot_table("public", "t")
    assert there.snapshot_table("public", "t") == expected
    # the settings really were in force, and are still
    assert there.run_sql("SHOW DateStyle") == [("SQL, DMY",)]
    assert there.run_sql("SHOW client_encoding") == [("LATIN1",)]
    there.run_sql("SET client_encoding = 'UTF8'")
    # the next double after 1/3: only an exact float rendering tells them apart
    there.run_sql("UPDATE public.t SET s.x = 0.33333333333333337 WHERE id = 1")
    assert there.snapshot_table("public", "t") != expected


def test_any_changed_value_changes_the_id(make_engine: EngineFactory) -> None:
    engine = ready(make_engine(PostgresEngine))
    _fill(engine, [0, 1, 2])
    seen = {engine.snapshot_table("public", "t")}
    for change in [
        "UPDATE t SET n = 1.500 WHERE id = 1",  # same number, other scale
        "UPDATE t SET x = -0.0 WHERE id = 3",
        "UPDATE t SET label = NULL WHERE id = 3",
        "UPDATE t SET at = at + interval '1 microsecond' WHERE id = 1",
        "INSERT INTO t (id) VALUES (4)",
    ]:
        engine.run_sql(change)
        seen.add(engine.snapshot_table("public", "t"))
    assert len(seen) == 6
    assert len(engine.list_objects()) == 6


def test_concurrent_creators_of_one_object_share_it(make_engine: EngineFactory) -> None:
    first = ready(make_engine(PostgresEngine))
    first.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text)")
    first.run_sql("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g")
    first.commit()
    second = PostgresEngine(first.conn_params, "second")
    try:
        object_id = first.snapshot_table("public", "t")  # holds the id's lock, uncommitted
        result: list[str] = []
        worker = threading.Thread(
            target=lambda: result.append(second.snapshot_table("public", "t"))
        )
        worker.start()
        worker.join(0.5)
        assert worker.is_alive()  # waits for the first creator to finish
        first.commit()
        worker.join(10)
        second.commit()
        assert result == [object_id]
        assert first.list_objects() == [object_id]
        tables = first.run_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'sg_meta'"
            " AND tablename NOT IN ('objects', 'versions', 'version_tags', 'version_heads')"
        )
        assert tables == [(object_id,)]  # besides sg's own bookkeeping, only the one object
    finally:
        second.rollback()
        second.close()


def test_an_engine_without_sg_schemas_says_so(make_engine: EngineFactory) -> None:
    engine = make_engine(PostgresEngine)
    engine.run_sql("CREATE TABLE t (id int PRIMARY KEY)")
    with pytest.raises(EngineNotInitializedError, match="initialize"):
        engine.snapshot_table("public", "t")
    with pytest.raises(EngineNotInitializedError, match="initialize"):
        engine.list_objects()
