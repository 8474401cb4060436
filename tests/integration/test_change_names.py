"""Tables and columns named with quotes, spaces, semicolons and non-ASCII are tracked intact."""

from __future__ import annotations

import pytest
from psycopg import sql

from sg import AuditTriggerChangeEngine, Change, ChangeKind
from tests.support.engines import EngineFactory, tracked_engine

SCHEMA = 'sch"ema; drop'
TABLE = "tä ble'; DROP TABLE x; --"
KEY, TEXT, OTHER = 'k"ey', "spa ce;", "ünï'cödé"


@pytest.fixture
def tracker(make_engine: EngineFactory) -> AuditTriggerChangeEngine:
    schema = sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA))
    return tracked_engine(make_engine, schema, tables=())


@pytest.mark.parametrize("keyed", [True, False], ids=["primary key", "whole-row key"])
def test_quoted_names_round_trip(tracker: AuditTriggerChangeEngine, keyed: bool) -> None:
    table = sql.Identifier(SCHEMA, TABLE)
    key, text, other = map(sql.Identifier, (KEY, TEXT, OTHER))
    constraint = sql.SQL(", PRIMARY KEY ({})").format(key) if keyed else sql.SQL("")
    tracker.run_sql(
        sql.SQL("CREATE TABLE {} ({} int, {} text, {} int{})").format(
            table, key, text, other, constraint
        )
    )
    tracker.run_sql(sql.SQL("INSERT INTO {} VALUES (1, 'a', 1), (2, 'b', 2)").format(table))
    tracker.track_tables([(SCHEMA, TABLE)])
    tracker.commit()
    assert tracker.get_tracked_tables() == [(SCHEMA, TABLE)]

    tracker.run_sql(sql.SQL("UPDATE {} SET {} = 'x''y' WHERE {} = 1").format(table, text, key))
    tracker.run_sql(sql.SQL("INSERT INTO {} VALUES (3, NULL, 3)").format(table))
    if keyed:
        assert tracker.get_pending_changes(SCHEMA, TABLE) == [
            Change((1,), ChangeKind.UPDATE, {TEXT: "x'y"}),
            Change((3,), ChangeKind.INSERT, {KEY: 3, TEXT: None, OTHER: 3}),
        ]
    else:
        assert tracker.get_pending_changes(SCHEMA, TABLE) == [
            Change((1, "a", 1), ChangeKind.DELETE, {KEY: 1, TEXT: "a", OTHER: 1}),
            Change((1, "x'y", 1), ChangeKind.INSERT, {KEY: 1, TEXT: "x'y", OTHER: 1}),
            Change((3, None, 3), ChangeKind.INSERT, {KEY: 3, TEXT: None, OTHER: 3}),
        ]
    tracker.commit()
    tracker.discard_pending_changes(SCHEMA, TABLE)
    tracker.run_sql(sql.SQL("TRUNCATE {}").format(table))
    assert tracker.get_changed_tables(SCHEMA) == [TABLE]
    assert tracker.get_pending_changes(SCHEMA, TABLE, aggregate=True) == (0, 3, 0)
    tracker.untrack_tables([(SCHEMA, TABLE)])
    assert tracker.get_tracked_tables() == []


def test_column_names_that_shadow_capture_internals(tracker: AuditTriggerChangeEngine) -> None:
    names = ["s", "x", "n", "o", "seq", "tx", "capture", "sg_seq", "sg_xid", "sg_existed", "c1"]
    table = sql.Identifier("public", "shadow")
    columns = sql.SQL(", ").join(sql.SQL("{} int").format(sql.Identifier(n)) for n in names)
    tracker.run_sql(sql.SQL("CREATE TABLE {} ({}, PRIMARY KEY (s))").format(table, columns))
    tracker.run_sql(sql.SQL("CREATE TABLE public.shadow_rows ({})").format(columns))
    tracker.track_tables([("public", "shadow"), ("public", "shadow_rows")])
    for target in ("shadow", "shadow_rows"):
        tracker.run_sql(
            sql.SQL("INSERT INTO {} VALUES ({})").format(
                sql.Identifier(target), sql.SQL(", ").join(sql.Literal(i) for i in range(11))
            )
        )
        tracker.run_sql(sql.SQL("UPDATE {} SET tx = 100").format(sql.Identifier(target)))
        tracker.run_sql(sql.SQL("TRUNCATE {}").format(sql.Identifier(target)))
        tracker.run_sql(
            sql.SQL("INSERT INTO {} VALUES ({})").format(
                sql.Identifier(target), sql.SQL(", ").join(sql.Literal(i) for i in range(11))
            )
        )
    row = dict(zip(names, range(11), strict=True))
    assert tracker.get_pending_changes("public", "shadow") == [Change((0,), ChangeKind.INSERT, row)]
    assert tracker.get_pending_changes("public", "shadow_rows") == [
        Change(tuple(range(11)), ChangeKind.INSERT, row)
    ]
