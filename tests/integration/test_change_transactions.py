"""Pending changes follow transactions: rollbacks leave nothing, concurrent writers all count,
and a read's watermark discards exactly what that read saw."""

from __future__ import annotations

import threading
import time

import pytest

from sg import AuditTriggerChangeEngine, Change, ChangeKind, DataValueError
from sg.adapters.postgres.capture.change_capture import PostgresChangeCapture
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.domain.engine_params import EngineParams
from sg.domain.model import ResultShape, TableRef
from sg.domain.services.change_tracking import ChangeTracking
from tests.support.engines import EngineFactory, tracked_engine

WRITERS = 4
ROWS_PER_WRITER = 50


@pytest.fixture
def tracker(make_engine: EngineFactory) -> AuditTriggerChangeEngine:
    return tracked_engine(
        make_engine,
        "CREATE TABLE t (id int PRIMARY KEY, v text, w int)",
        "INSERT INTO t SELECT i, 'v' || i, 0 FROM generate_series(1, 5) AS i",
    )


def test_rolled_back_transaction_leaves_nothing(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("INSERT INTO t VALUES (10, 'x', 1)")
    tracker.run_sql("UPDATE t SET w = 5")
    tracker.run_sql("TRUNCATE t")
    tracker.rollback()
    assert tracker.get_pending_changes("public", "t") == []
    assert not tracker.has_pending_changes("public")


def test_rolled_back_savepoint_leaves_nothing(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("UPDATE t SET v = 'kept' WHERE id = 1")
    with pytest.raises(DataValueError), tracker.savepoint():
        tracker.run_sql("INSERT INTO t VALUES (10, 'x', 1)")
        tracker.run_sql("DELETE FROM t WHERE id = 2")
        tracker.run_sql("SELECT 1 / 0")
    tracker.commit()
    assert tracker.get_pending_changes("public", "t") == [
        Change((1,), ChangeKind.UPDATE, {"v": "kept"})
    ]


def test_writes_from_concurrent_connections_are_all_counted(
    tracker: AuditTriggerChangeEngine,
) -> None:
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        engine = AuditTriggerChangeEngine(tracker.conn_params, f"writer-{writer}")
        try:
            start.wait()
            for i in range(ROWS_PER_WRITER):
                key = 100 * (writer + 1) + i
                engine.run_sql("INSERT INTO t VALUES (%s, 'new', %s)", [key, writer])
                engine.run_sql("UPDATE t SET w = w + 1 WHERE id = %s", [key])
                engine.run_sql("UPDATE t SET w = w + 1 WHERE id = 1")  # a row every writer shares
                if i % 10 == 9:
                    engine.commit()
            engine.commit()
        except BaseException as exc:
            failures.append(exc)
        finally:
            engine.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    changes = tracker.get_pending_changes("public", "t")
    inserts = [c for c in changes if c.change_type == ChangeKind.INSERT]
    assert len(inserts) == WRITERS * ROWS_PER_WRITER
    assert all(c.change_data["w"] == c.primary_key[0] // 100 for c in inserts)
    assert changes[0] == Change((1,), ChangeKind.UPDATE, {"w": WRITERS * ROWS_PER_WRITER})
    assert tracker.get_pending_changes("public", "t", aggregate=True) == (
        WRITERS * ROWS_PER_WRITER,
        0,
        1,
    )


def _tracking(params: dict[str, str], name: str) -> tuple[PostgresSession, ChangeTracking]:
    runner = PostgresSession(EngineParams.from_mapping(params), name)
    return runner, ChangeTracking(PostgresChangeCapture(runner))


def test_watermark_discards_exactly_what_the_read_saw(tracker: AuditTriggerChangeEngine) -> None:
    table = TableRef("public", "t")
    reader, tracking = _tracking(tracker.conn_params, "reader")
    early = PostgresSession(EngineParams.from_mapping(tracker.conn_params), "early")
    late = PostgresSession(EngineParams.from_mapping(tracker.conn_params), "late")
    try:
        # `early` logs first but commits after the read; `late` logs and commits before it.
        early.run("UPDATE public.t SET v = 'early' WHERE id = 2", None, ResultShape.NONE)
        late.run("UPDATE public.t SET v = 'late' WHERE id = 3", None, ResultShape.NONE)
        late.commit()
        reader.run("UPDATE public.t SET v = 'own' WHERE id = 4", None, ResultShape.NONE)
        read = tracking.read_pending(table)
        assert [c.primary_key for c in read.changes] == [(3,), (4,)]
        early.commit()
        reader.run("UPDATE public.t SET v = 'after' WHERE id = 5", None, ResultShape.NONE)
        reader.commit()
        tracking.discard_read(table, read.watermark)
        reader.commit()
        assert tracking.pending(table) == [
            Change((2,), ChangeKind.UPDATE, {"v": "early"}),
            Change((5,), ChangeKind.UPDATE, {"v": "after"}),
        ]
    finally:
        for runner in (reader, early, late):
            runner.rollback()
            runner.close()


def test_large_statement_after_many_small_ones_stays_linear(
    tracker: AuditTriggerChangeEngine,
) -> None:
    # The capture functions' plans are cached per session: a plan made for one-row
    # statements must not turn a big statement quadratic (a join would take minutes here).
    tracker.run_sql("INSERT INTO t SELECT i, 'v', 0 FROM generate_series(6, 30000) AS i")
    for i in range(1, 11):
        tracker.run_sql("UPDATE t SET w = %s WHERE id = %s", [i, i])
    start = time.perf_counter()
    tracker.run_sql("UPDATE t SET w = w + 1")
    tracker.run_sql("UPDATE t SET id = id + 100000 WHERE id > 20000")
    assert time.perf_counter() - start < 10
    assert tracker.get_pending_changes("public", "t", aggregate=True) == (30000 - 5, 0, 5)
