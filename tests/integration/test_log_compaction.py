"""Compacting change logs: hot rows keep one entry, pending changes and commits stay the same,
the space goes back at the next vacuum, writers go on meanwhile and commits wait."""

from __future__ import annotations

import threading
import time

import pytest
from psycopg import sql

from sg import PostgresEngine, ResultShape, TableNotTrackedError
from tests.support.engines import EngineFactory
from tests.support.servers import TestServer

HOT_KEYS = 20
UPDATES = 2_000
LOG_BYTES = """SELECT pg_catalog.pg_total_relation_size(
    pg_catalog.format('sg_audit.%%I', log_table)::pg_catalog.regclass)
    FROM sg_audit.tracked_tables WHERE relid = %s::pg_catalog.regclass"""


def hot_updates(table: str) -> str:
    """A DO block of single-row UPDATE statements spread over the first keys."""
    return (
        f"DO $$ BEGIN FOR i IN 1..{UPDATES} LOOP UPDATE {table} SET n = n + 1"
        f" WHERE id = i % {HOT_KEYS} + 1; END LOOP; END $$"
    )


@pytest.fixture
def engine(make_engine: EngineFactory) -> PostgresEngine:
    engine = make_engine(PostgresEngine)
    engine.initialize()
    for table in ("hot", "twin"):
        engine.run_sql(f"CREATE TABLE {table} (id int PRIMARY KEY, n int, pad text)")
        engine.run_sql(
            f"INSERT INTO {table} SELECT g, 0, repeat('x', 500) FROM generate_series(1, 100) g"
        )
    engine.track_tables([("public", "hot"), ("public", "twin")])
    engine.commit()
    return engine


def log_bytes(engine: PostgresEngine, table: str) -> int:
    return int(engine.run_sql(LOG_BYTES, [table], return_shape=ResultShape.ONE_ONE))


def vacuum(server: TestServer, engine: PostgresEngine, table: str) -> None:
    log = engine.run_sql(
        "SELECT log_table FROM sg_audit.tracked_tables WHERE relid = %s::regclass",
        [table],
        return_shape=ResultShape.ONE_ONE,
    )
    with server.admin_connect(engine.conn_params["SG_ENGINE_DB_NAME"]) as conn:
        conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier("sg_audit", log)))


def test_hot_rows_keep_one_entry_each_and_commit_the_same_object(
    engine: PostgresEngine, server: TestServer
) -> None:
    engine.run_sql(hot_updates("hot"))
    engine.run_sql(hot_updates("twin"))
    engine.commit()
    pending = engine.get_pending_changes("public", "hot")
    grown = log_bytes(engine, "hot")
    done = engine.compact_pending_changes("public", "hot")
    engine.commit()
    assert list(done) == [("public", "hot")]
    assert (done["public", "hot"].entries, done["public", "hot"].kept) == (2 * UPDATES, HOT_KEYS)
    assert engine.get_pending_changes("public", "hot") == pending
    engine.rollback()  # a vacuum truncates a table only when no transaction holds it open
    vacuum(server, engine, "hot")
    assert log_bytes(engine, "hot") < grown / 20
    # The compacted log commits to the object its twin's full log does.
    assert engine.commit_changes("public", "hot") == engine.commit_changes("public", "twin")
    engine.commit()
    assert not engine.has_pending_changes("public")


def test_a_schema_compacts_every_tracked_table(engine: PostgresEngine) -> None:
    engine.run_sql(hot_updates("hot"))
    engine.commit()
    done = engine.compact_pending_changes("public")
    assert {t: (log.entries, log.removed) for t, log in done.items()} == {
        ("public", "hot"): (2 * UPDATES, 2 * UPDATES - HOT_KEYS),
        ("public", "twin"): (0, 0),
    }
    engine.run_sql("CREATE TABLE untracked (id int)")
    with pytest.raises(TableNotTrackedError):
        engine.compact_pending_changes("public", "untracked")
    with pytest.raises(TableNotTrackedError):
        engine.compact_pending_changes("public", "missing")


def test_writers_go_on_during_compaction_and_keep_their_changes(engine: PostgresEngine) -> None:
    engine.run_sql(hot_updates("hot"))
    engine.commit()
    writer = PostgresEngine(engine.conn_params, "writer")
    writer.run_sql("UPDATE hot SET n = -1 WHERE id = 99")  # open while the log is compacted
    done = engine.compact_pending_changes("public", "hot")
    writer.run_sql("UPDATE hot SET n = -2 WHERE id = 98")  # and a write during it
    writer.run_sql("UPDATE hot SET n = n + 1 WHERE id = 1")  # a hot key, again
    writer.commit()
    engine.commit()
    assert done["public", "hot"].kept == HOT_KEYS
    changed = {c.primary_key for c in engine.get_pending_changes("public", "hot")}
    assert changed == {(k,) for k in range(1, HOT_KEYS + 1)} | {(98,), (99,)}
    writer.close()


def test_a_commit_waits_for_a_compaction_to_end(engine: PostgresEngine) -> None:
    engine.run_sql(hot_updates("hot"))
    engine.commit()
    committer = PostgresEngine(engine.conn_params, "committer")
    engine.compact_pending_changes("public", "hot")  # its transaction stays open
    committed: list[str | None] = []
    worker = threading.Thread(
        target=lambda: committed.append(committer.commit_changes("public", "hot"))
    )
    worker.start()
    time.sleep(0.5)
    assert not committed  # waiting for the compaction's transaction
    engine.commit()
    worker.join(timeout=30)
    committer.commit()
    assert len(committed) == 1 and committed[0] is not None
    assert not engine.has_pending_changes("public")
    committer.close()
