"""commit_changes: tracked changes become objects that rebuild the table exactly."""

from __future__ import annotations

import threading
import time

import pytest
from psycopg import sql

from sg import PostgresEngine, ResultShape
from tests.support.engines import EngineFactory
from tests.support.servers import TestServer

DIGEST = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"


def _digest(engine: PostgresEngine, schema: str, table: str) -> tuple[object, ...]:
    row = engine.run_sql(
        sql.SQL(DIGEST).format(sql.Identifier(schema, table)), return_shape=ResultShape.ONE_MANY
    )
    assert row is not None
    return tuple(row)


@pytest.fixture
def engine(make_engine: EngineFactory) -> PostgresEngine:
    eng = make_engine(PostgresEngine)
    eng.initialize()
    return eng


def test_commits_rebuild_a_keyed_table(engine: PostgresEngine) -> None:
    engine.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text, n numeric(8, 3), j jsonb, a int[])")
    engine.run_sql(
        "INSERT INTO t SELECT g, 'v' || g, g / 3.0, jsonb_build_object('g', g), ARRAY[g, -g]"
        " FROM generate_series(1, 500) g"
    )
    engine.track_tables([("public", "t")])
    base = engine.snapshot_table("public", "t")
    engine.commit()
    assert engine.commit_changes("public", "t") is None

    engine.run_sql("UPDATE t SET v = 'new line\nand ''quote''' WHERE id % 7 = 0")
    engine.run_sql("DELETE FROM t WHERE id BETWEEN 100 AND 150")
    engine.run_sql("INSERT INTO t VALUES (1000, NULL, NULL, NULL, NULL)")
    engine.commit()
    patch1 = engine.commit_changes("public", "t")
    engine.commit()
    assert patch1 is not None
    assert engine.get_pending_changes("public", "t") == []

    engine.run_sql("UPDATE t SET id = id + 5000 WHERE id < 20")
    engine.run_sql("UPDATE t SET j = '{\"changed\": true}' WHERE id > 400")
    engine.commit()
    patch2 = engine.commit_changes("public", "t")
    engine.commit()
    assert patch2 is not None and len({base, patch1, patch2}) == 3
    record = engine.describe_object(patch2)
    assert (record.rows_upserted, record.rows_deleted) == (19 + 101, 19)  # 401..500 and 1000

    engine.checkout_objects([base, patch1, patch2], "rebuilt", "t")
    engine.commit()
    assert _digest(engine, "rebuilt", "t") == _digest(engine, "public", "t")


def test_commits_rebuild_a_table_without_a_key(engine: PostgresEngine) -> None:
    engine.run_sql("CREATE TABLE bag (a int, b text)")
    engine.run_sql("INSERT INTO bag VALUES (1, 'x'), (1, 'x'), (2, NULL), (3, 'y')")
    engine.track_tables([("public", "bag")])
    base = engine.snapshot_table("public", "bag")
    engine.commit()
    engine.run_sql("INSERT INTO bag VALUES (1, 'x'), (2, NULL), (4, NULL)")
    engine.run_sql("DELETE FROM bag WHERE a = 3")
    engine.run_sql("UPDATE bag SET b = 'z' WHERE a = 4")
    engine.commit()
    patch = engine.commit_changes("public", "bag")
    engine.commit()
    assert patch is not None
    engine.checkout_objects([base, patch], "rebuilt", "bag")
    assert _digest(engine, "rebuilt", "bag") == _digest(engine, "public", "bag")
    assert (
        engine.run_sql(
            "SELECT count(*) FROM rebuilt.bag WHERE a = 1", return_shape=ResultShape.ONE_ONE
        )
        == 3
    )


def test_identical_changes_reuse_the_object(engine: PostgresEngine) -> None:
    engine.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text)")
    engine.run_sql("INSERT INTO t VALUES (1, 'a')")
    engine.track_tables([("public", "t")])
    engine.commit()
    engine.run_sql("UPDATE t SET v = 'b'")
    first = engine.commit_changes("public", "t")
    engine.run_sql("UPDATE t SET v = 'a'")
    engine.commit_changes("public", "t")
    engine.run_sql("UPDATE t SET v = 'b'")
    assert engine.commit_changes("public", "t") == first


def test_writers_wait_until_the_commit_ends(engine: PostgresEngine, server: TestServer) -> None:
    engine.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text)")
    engine.run_sql("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    engine.track_tables([("public", "t")])
    engine.commit()
    engine.run_sql("UPDATE t SET v = 'A' WHERE id = 1")
    engine.commit()
    object_id = engine.commit_changes("public", "t")
    assert object_id is not None
    wrote = threading.Event()

    def write() -> None:
        with server.admin_connect(engine.params.dbname) as other:
            other.execute("UPDATE t SET v = 'B' WHERE id = 2")
        wrote.set()

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)
    assert not wrote.is_set()  # blocked by the commit's lock
    engine.commit()
    writer.join(10)
    assert wrote.is_set()
    # the concurrent write is pending, the committed one is not
    assert [c.primary_key for c in engine.get_pending_changes("public", "t")] == [(2,)]
    assert engine.describe_object(object_id).rows_upserted == 1
