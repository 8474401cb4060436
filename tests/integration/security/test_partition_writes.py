"""Attack 6 (and exactness): a tracked partitioned table's capture covers writes addressed
to any of its partitions, and changes to its set of partitions are captured or refused,
never lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg import Change, ChangeKind, PostgresEngine, ResultShape, SgError, TrackingBrokenError
from tests.support.engines import EngineFactory


@pytest.fixture
def engine(make_engine: EngineFactory) -> Iterator[PostgresEngine]:
    e = make_engine(PostgresEngine)
    e.initialize()
    e.run_sql("CREATE TABLE public.p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)")
    e.run_sql("CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (0) TO (100)")
    e.run_sql(
        "CREATE TABLE public.p2 PARTITION OF public.p FOR VALUES FROM (100) TO (300)"
        " PARTITION BY RANGE (id)"
    )
    e.run_sql("CREATE TABLE public.p2a PARTITION OF public.p2 FOR VALUES FROM (100) TO (200)")
    e.run_sql("CREATE TABLE public.p2b PARTITION OF public.p2 FOR VALUES FROM (200) TO (300)")
    e.run_sql("INSERT INTO public.p SELECT i, 'v' || i FROM generate_series(1, 250, 50) AS i")
    e.commit()
    yield e


def _rebuilt_equals_live(e: PostgresEngine, base: str) -> None:
    patch = e.commit_changes("public", "p")
    objects = [base] if patch is None else [base, patch]
    e.checkout_objects(objects, "public", "rebuilt")
    differ = e.run_sql(
        "SELECT count(*) FROM ((TABLE public.p EXCEPT TABLE public.rebuilt)"
        " UNION ALL (TABLE public.rebuilt EXCEPT TABLE public.p)) d",
        return_shape=ResultShape.ONE_ONE,
    )
    assert differ == 0


def test_writes_addressed_to_partitions_are_captured(engine: PostgresEngine) -> None:
    e = engine
    base = e.snapshot_table("public", "p")
    e.track_tables([("public", "p")])
    e.commit()
    e.run_sql("UPDATE public.p1 SET v = 'direct' WHERE id = 1")
    e.run_sql("DELETE FROM public.p2a WHERE id = 101")
    e.run_sql("INSERT INTO public.p2b VALUES (299, 'leaf')")
    e.run_sql("UPDATE public.p2 SET v = 'middle' WHERE id = 201")
    e.run_sql("UPDATE public.p SET id = 150 WHERE id = 51")  # moves to another partition
    e.run_sql("TRUNCATE public.p2b")
    assert e.get_pending_changes("public", "p") == [
        Change((1,), ChangeKind.UPDATE, {"v": "direct"}),
        Change((51,), ChangeKind.DELETE, {"id": 51, "v": "v51"}),
        Change((101,), ChangeKind.DELETE, {"id": 101, "v": "v101"}),
        Change((150,), ChangeKind.INSERT, {"id": 150, "v": "v51"}),
        Change((201,), ChangeKind.DELETE, {"id": 201, "v": "v201"}),
    ]
    _rebuilt_equals_live(e, base)
    e.commit()


def test_truncating_the_partitioned_table_records_every_row_once(engine: PostgresEngine) -> None:
    e = engine
    e.track_tables([("public", "p")])
    e.commit()
    e.run_sql("TRUNCATE public.p")
    assert e.get_pending_changes("public", "p", aggregate=True) == (0, 5, 0)


def test_new_partitions_are_captured_and_lost_ones_refused(engine: PostgresEngine) -> None:
    e = engine
    base = e.snapshot_table("public", "p")
    e.track_tables([("public", "p")])
    e.commit()
    superuser = e.run_sql(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
        return_shape=ResultShape.ONE_ONE,
    )
    assert superuser  # the test servers' role: event triggers are installed
    e.run_sql("CREATE TABLE public.p3 PARTITION OF public.p FOR VALUES FROM (300) TO (400)")
    e.run_sql("INSERT INTO public.p3 VALUES (333, 'new')")
    assert e.get_pending_changes("public", "p") == [
        Change((333,), ChangeKind.INSERT, {"id": 333, "v": "new"})
    ]
    with pytest.raises(SgError, match="detached or dropped"):
        e.run_sql("ALTER TABLE public.p DETACH PARTITION public.p1")
    with pytest.raises(SgError, match="dropping it would lose"):
        e.run_sql("DROP TABLE public.p2a")
    e.run_sql("CREATE TABLE public.outside (id int PRIMARY KEY, v text)")
    e.run_sql("INSERT INTO public.outside VALUES (450, 'x')")
    with pytest.raises(SgError, match="capture trigger"):
        e.run_sql(
            "ALTER TABLE public.p ATTACH PARTITION public.outside FOR VALUES FROM (400) TO (500)"
        )
    _rebuilt_equals_live(e, base)
    e.commit()


def test_without_event_triggers_a_detached_partition_breaks_tracking(
    engine: PostgresEngine,
) -> None:
    e = engine
    e.track_tables([("public", "p")])
    e.run_sql("ALTER EVENT TRIGGER sg_audit_guard_columns DISABLE")
    e.run_sql("ALTER TABLE public.p DETACH PARTITION public.p1")
    e.commit()
    with pytest.raises(SgError, match="partitions of tracked table"):
        e.run_sql("INSERT INTO public.p1 VALUES (5, 'gone')")
    with pytest.raises(TrackingBrokenError, match="detached or dropped"):
        e.get_pending_changes("public", "p")
    e.rollback()
