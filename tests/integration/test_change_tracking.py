"""Net pending changes of tracked tables, through the `AuditTriggerChangeEngine` facade."""

from __future__ import annotations

import pytest

from sg import (
    AuditTriggerChangeEngine,
    Change,
    ChangeKind,
    DatabaseError,
    EngineNotInitializedError,
    ResultShape,
    TableNotFoundError,
    TableNotTrackedError,
)
from tests.support.engines import EngineFactory, tracked_engine

INSERT, DELETE, UPDATE = ChangeKind.INSERT, ChangeKind.DELETE, ChangeKind.UPDATE


@pytest.fixture
def tracker(make_engine: EngineFactory) -> AuditTriggerChangeEngine:
    """An initialized engine with `public.t (id int PRIMARY KEY, v text, w int)` tracked."""
    return tracked_engine(
        make_engine,
        "CREATE TABLE t (id int PRIMARY KEY, v text, w int)",
        "INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)",
    )


def pending(engine: AuditTriggerChangeEngine, table: str = "t") -> list[Change]:
    return engine.get_pending_changes("public", table)


def test_key_changing_update_is_a_delete_and_an_insert(
    tracker: AuditTriggerChangeEngine,
) -> None:
    tracker.run_sql("UPDATE t SET id = id + 10 WHERE id >= 2")
    assert pending(tracker) == [
        Change((2,), DELETE, {"id": 2, "v": "b", "w": 20}),
        Change((3,), DELETE, {"id": 3, "v": "c", "w": 30}),
        Change((12,), INSERT, {"id": 12, "v": "b", "w": 20}),
        Change((13,), INSERT, {"id": 13, "v": "c", "w": 30}),
    ]


def test_key_shifting_update_onto_existing_keys(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("CREATE TABLE d (id int PRIMARY KEY DEFERRABLE, v text, w int)")
    tracker.run_sql("INSERT INTO d VALUES (1, 'a', 10), (2, 'b', 20)")
    tracker.track_tables([("public", "d")])
    # Key 2 is both an old key (moved away) and a new one (moved onto): an update of key 2.
    tracker.run_sql("UPDATE d SET id = id + 1")
    assert pending(tracker, "d") == [
        Change((1,), DELETE, {"id": 1, "v": "a", "w": 10}),
        Change((2,), UPDATE, {"v": "a", "w": 10}),
        Change((3,), INSERT, {"id": 3, "v": "b", "w": 20}),
    ]


def test_no_op_updates_are_not_changes(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("UPDATE t SET v = v")
    tracker.run_sql("UPDATE t SET w = 10 WHERE id = 1")
    assert pending(tracker) == []
    assert tracker.get_pending_changes("public", "t", aggregate=True) == (0, 0, 0)


def test_aggregate_gives_net_counts(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("INSERT INTO t VALUES (4, 'd', 40), (5, 'e', 50)")
    tracker.run_sql("DELETE FROM t WHERE id IN (1, 5)")
    tracker.run_sql("UPDATE t SET w = w + 1 WHERE id IN (2, 4)")
    tracker.run_sql("UPDATE t SET w = w WHERE id = 3")
    counts = tracker.get_pending_changes("public", "t", aggregate=True)
    assert counts == (1, 1, 1)
    assert (counts.added_rows, counts.removed_rows, counts.updated_rows) == (1, 1, 1)


def test_composite_keys(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("CREATE TABLE c (b text, a int, v text, PRIMARY KEY (a, b))")
    tracker.run_sql("INSERT INTO c VALUES ('x', 1, 'one'), ('y', 1, 'two'), ('x', 2, 'three')")
    tracker.track_tables([("public", "c")])
    tracker.run_sql("UPDATE c SET v = 'uno' WHERE a = 1 AND b = 'x'")
    tracker.run_sql("UPDATE c SET b = 'z' WHERE a = 1 AND b = 'y'")
    tracker.run_sql("INSERT INTO c VALUES ('a', 2, 'four')")
    assert pending(tracker, "c") == [
        Change((1, "x"), UPDATE, {"v": "uno"}),
        Change((1, "y"), DELETE, {"b": "y", "a": 1, "v": "two"}),
        Change((1, "z"), INSERT, {"b": "z", "a": 1, "v": "two"}),
        Change((2, "a"), INSERT, {"b": "a", "a": 2, "v": "four"}),
    ]


def test_table_without_primary_key_counts_copies(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("CREATE TABLE k (a int, b text)")
    tracker.run_sql("INSERT INTO k VALUES (1, NULL), (1, NULL), (2, 'x'), (NULL, NULL)")
    tracker.track_tables([("public", "k")])
    tracker.run_sql("INSERT INTO k VALUES (1, NULL), (3, 'y')")
    tracker.run_sql("UPDATE k SET b = 'xx' WHERE a = 2")
    tracker.run_sql("DELETE FROM k WHERE a IS NULL")
    tracker.run_sql("UPDATE k SET a = a WHERE a = 1")  # rewrites three copies: a no-op
    assert pending(tracker, "k") == [
        Change((1, None), INSERT, {"a": 1, "b": None}),
        Change((2, "x"), DELETE, {"a": 2, "b": "x"}),
        Change((2, "xx"), INSERT, {"a": 2, "b": "xx"}),
        Change((3, "y"), INSERT, {"a": 3, "b": "y"}),
        Change((None, None), DELETE, {"a": None, "b": None}),
    ]
    tracker.run_sql("DELETE FROM k WHERE a = 1")
    changes = pending(tracker, "k")
    assert [c.change_type for c in changes if c.primary_key == (1, None)] == [DELETE, DELETE]
    assert UPDATE not in {c.change_type for c in changes}
    assert tracker.get_pending_changes("public", "k", aggregate=True) == (2, 4, 0)


def test_truncate_is_recorded_as_deletion_of_every_row(
    tracker: AuditTriggerChangeEngine,
) -> None:
    tracker.run_sql("UPDATE t SET v = 'x' WHERE id = 1")
    tracker.run_sql("INSERT INTO t VALUES (4, 'd', 40)")
    tracker.run_sql("TRUNCATE t")
    tracker.run_sql("INSERT INTO t VALUES (3, 'c', 30)")
    tracker.commit()
    assert pending(tracker) == [
        Change((1,), DELETE, {"id": 1, "v": "a", "w": 10}),
        Change((2,), DELETE, {"id": 2, "v": "b", "w": 20}),
    ]


def test_changed_tables_and_pending_per_schema(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("CREATE SCHEMA other")
    tracker.run_sql("CREATE TABLE other.o (id int PRIMARY KEY)")
    tracker.run_sql("CREATE TABLE u (id int PRIMARY KEY)")
    tracker.track_tables([("other", "o"), ("public", "u")])
    tracker.run_sql("INSERT INTO other.o VALUES (1)")
    assert not tracker.has_pending_changes("public")
    assert tracker.has_pending_changes("other")
    assert tracker.get_changed_tables("other") == ["o"]
    tracker.run_sql("INSERT INTO u VALUES (1)")
    tracker.run_sql("DELETE FROM t WHERE id = 1")
    assert tracker.get_changed_tables("public") == ["t", "u"]
    assert tracker.get_tracked_tables() == [("other", "o"), ("public", "t"), ("public", "u")]


def test_discard_one_table_or_a_whole_schema(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("CREATE TABLE u (id int PRIMARY KEY)")
    tracker.track_tables([("public", "u")])
    tracker.run_sql("INSERT INTO u VALUES (1)")
    tracker.run_sql("DELETE FROM t WHERE id = 1")
    tracker.discard_pending_changes("public", "u")
    assert tracker.get_changed_tables("public") == ["t"]
    tracker.discard_pending_changes("public")
    assert not tracker.has_pending_changes("public")
    tracker.run_sql("DELETE FROM t WHERE id = 2")
    assert pending(tracker) == [Change((2,), DELETE, {"id": 2, "v": "b", "w": 20})]


def test_track_twice_is_harmless_and_untrack_discards(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("DELETE FROM t WHERE id = 1")
    tracker.track_tables([("public", "t")])
    assert tracker.get_pending_changes("public", "t", aggregate=True) == (0, 1, 0)
    tracker.untrack_tables([("public", "t")])
    assert tracker.get_tracked_tables() == []
    tracker.run_sql("DELETE FROM t WHERE id = 2")
    tracker.track_tables([("public", "t")])
    assert pending(tracker) == []
    tracker.untrack_tables([("public", "t"), ("public", "never_tracked")])


def test_dropping_a_tracked_table_ends_its_tracking(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("DELETE FROM t WHERE id = 1")
    tracker.run_sql("DROP TABLE t")
    tracker.commit()
    assert tracker.get_tracked_tables() == []
    tracker.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text, w int)")
    tracker.run_sql("INSERT INTO t VALUES (1, 'a', 10)")
    assert tracker.get_tracked_tables() == []
    with pytest.raises(TableNotTrackedError):
        pending(tracker)
    tracker.track_tables([("public", "t")])
    assert pending(tracker) == []
    logs = tracker.run_sql(
        "SELECT count(*) FROM pg_class WHERE relnamespace = 'sg_audit'::regnamespace"
        " AND relkind = 'r' AND relname LIKE 'log\\_%'",
        return_shape=ResultShape.ONE_ONE,
    )
    assert logs == 1


def test_renamed_table_stays_tracked(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("DELETE FROM t WHERE id = 1")
    tracker.run_sql("ALTER TABLE t RENAME TO t2")
    tracker.run_sql("TRUNCATE t2")
    assert tracker.get_tracked_tables() == [("public", "t2")]
    assert tracker.get_pending_changes("public", "t2", aggregate=True) == (0, 3, 0)


def test_tracking_a_missing_table_names_it(tracker: AuditTriggerChangeEngine) -> None:
    with pytest.raises(TableNotFoundError, match=r"public\.nope"):
        tracker.track_tables([("public", "nope")])


def test_changes_of_an_untracked_table_name_it(tracker: AuditTriggerChangeEngine) -> None:
    tracker.run_sql("CREATE TABLE u (id int PRIMARY KEY)")
    with pytest.raises(TableNotTrackedError, match=r"public\.u"):
        tracker.get_pending_changes("public", "u")
    with pytest.raises(TableNotTrackedError, match=r"public\.u"):
        tracker.discard_pending_changes("public", "u")


def test_uninitialized_engine_says_to_initialize(make_engine: EngineFactory) -> None:
    engine = make_engine(AuditTriggerChangeEngine)
    engine.run_sql("CREATE TABLE t (id int PRIMARY KEY)")
    with pytest.raises(EngineNotInitializedError, match=r"initialize\(\)"):
        engine.track_tables([("public", "t")])
    with pytest.raises(EngineNotInitializedError):
        engine.get_tracked_tables()


def test_changing_the_columns_of_a_tracked_table_is_refused(
    tracker: AuditTriggerChangeEngine,
) -> None:
    for alteration in (
        "ADD COLUMN z int",
        "DROP COLUMN w",
        "RENAME COLUMN v TO vv",
        "ALTER COLUMN w TYPE bigint",
    ):
        with pytest.raises(DatabaseError, match="untrack it"):
            tracker.run_sql(f"ALTER TABLE t {alteration}")
    tracker.run_sql("ALTER TABLE t ALTER COLUMN v SET DEFAULT 'd', ADD CHECK (w >= 0)")
    tracker.run_sql("DELETE FROM t WHERE id = 1")
    tracker.untrack_tables([("public", "t")])
    tracker.run_sql("ALTER TABLE t ADD COLUMN z int")
    tracker.track_tables([("public", "t")])
    tracker.run_sql("UPDATE t SET z = 1 WHERE id = 2")
    assert pending(tracker) == [Change((2,), UPDATE, {"z": 1})]
