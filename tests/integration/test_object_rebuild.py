"""Rebuilding tables from a base object and patches, and what apply refuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from psycopg import sql

from sg import ObjectNotFoundError, PostgresEngine, ResultShape, TableNotFoundError
from sg.domain.model import TableRef
from tests.support.engines import EngineFactory
from tests.support.objects import (
    clone_empty,
    count,
    differences,
    objects_of,
    ready,
    store_patch,
)

T = TableRef("public", "t")


@pytest.fixture
def eng(make_engine: EngineFactory) -> PostgresEngine:
    return ready(make_engine(PostgresEngine))


def test_keyed_table_rebuilds_through_inserts_updates_deletes_and_key_changes(
    eng: PostgresEngine,
) -> None:
    eng.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text, n numeric)")
    eng.run_sql("INSERT INTO t SELECT g, 'v' || g, g / 7.0 FROM generate_series(1, 300) g")
    ids = [eng.snapshot_table("public", "t")]
    eng.run_sql("INSERT INTO t VALUES (1001, 'new', 1), (1002, NULL, NULL)")
    eng.run_sql("UPDATE t SET v = 'upd' WHERE id BETWEEN 10 AND 19")
    eng.run_sql("DELETE FROM t WHERE id BETWEEN 20 AND 29")
    ids.append(
        store_patch(eng, "public", "t",
                    [(1001,), (1002,)] + [(i,) for i in range(10, 20)],
                    [(i,) for i in range(20, 30)])
    )  # fmt: skip
    eng.run_sql("UPDATE t SET id = id + 5000 WHERE id BETWEEN 30 AND 34")  # key changes
    eng.run_sql("INSERT INTO t VALUES (20, 'back', 2)")  # a deleted key returns
    eng.run_sql("UPDATE t SET n = NULL WHERE id = 1001")
    ids.append(
        store_patch(eng, "public", "t",
                    [(i + 5000,) for i in range(30, 35)] + [(20,), (1001,)],
                    [(i,) for i in range(30, 35)])
    )  # fmt: skip
    t2 = clone_empty(eng, T, "t2")
    eng.apply_fragments(objects_of(ids), "public", "t2")
    assert count(eng, t2) == count(eng, T) == 300 + 2 - 10 + 1
    assert differences(eng, T, t2) == 0
    # applying onto a stale copy (base already there) converges too
    t3 = clone_empty(eng, T, "t3")
    eng.apply_fragments(objects_of(ids[:1]), "public", "t3")
    eng.apply_fragments(objects_of(ids[1:]), "public", "t3")
    assert differences(eng, T, t3) == 0
    # a target without a primary key: the objects' own key decides what is deleted
    eng.run_sql("CREATE TABLE t4 AS SELECT * FROM t WITH NO DATA")
    eng.apply_fragments(objects_of(ids), "public", "t4")
    assert differences(eng, T, TableRef("public", "t4")) == 0
    assert len(set(ids)) == 3 and sorted(ids) == eng.list_objects()


def test_table_without_key_keeps_duplicates_and_nulls(eng: PostgresEngine) -> None:
    eng.run_sql("CREATE TABLE t (a int, b text, c jsonb)")
    eng.run_sql(
        "INSERT INTO t VALUES (1, NULL, NULL), (1, NULL, NULL), (2, 'x', '{\"k\": 1}'),"
        " (NULL, NULL, NULL), (3, 'y', '[]'), (3, 'y', '[]'), (3, 'y', '[]')"
    )
    ids = [eng.snapshot_table("public", "t")]
    # one copy of (1, NULL, NULL) goes, a third (3, y) copy goes, (NULL...) gets a twin
    eng.run_sql("DELETE FROM t WHERE ctid IN (SELECT ctid FROM t WHERE a = 1 LIMIT 1)")
    eng.run_sql("DELETE FROM t WHERE ctid IN (SELECT ctid FROM t WHERE a = 3 LIMIT 1)")
    eng.run_sql("INSERT INTO t VALUES (NULL, NULL, NULL), (4, NULL, '{\"k\": 2}')")
    ids.append(
        store_patch(eng, "public", "t",
                    [(None, None, None), (4, None, {"k": 2})],
                    [(1, None, None), (3, "y", [])])
    )  # fmt: skip
    eng.run_sql("UPDATE t SET b = 'z' WHERE a = 2")
    ids.append(store_patch(eng, "public", "t", [(2, "z", {"k": 1})], [(2, "x", {"k": 1})]))
    t2 = clone_empty(eng, T, "t2")
    eng.apply_fragments(objects_of(ids), "public", "t2")
    assert count(eng, t2) == count(eng, T) == 7
    assert differences(eng, T, t2) == 0


TYPES_DDL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE {table} (
    id uuid PRIMARY KEY, n numeric(20, 6), f float8, r real, big bigint, small smallint,
    j json, jb jsonb, ints int[], texts text[], grid int[][], raw bytea,
    ts timestamptz, lts timestamp, d date, tod time, span interval,
    txt text, vc varchar(12), ch char(3), yes boolean, m mood, p posint, ip inet, money money
)"""
ROWS = """
INSERT INTO {table} VALUES
 ('00000000-0000-0000-0000-000000000001', 12345678901234.123456, 'NaN', '-0', 9223372036854775807,
  -32768, '{{ "spaced" :  [1, 2.50] }}', '{{"b": 1, "a": [true, null]}}', '{{1,NULL,3}}',
  '{{"a\\"b","c,d",NULL,""}}', '{{{{1,2}},{{3,4}}}}', '\\x00ff0a5c27',
  '2024-02-29 23:59:59.999999+05:30', '1999-12-31 00:00:00', '4713-01-01 BC', '24:00:00',
  '1 year 2 months 3 days 04:05:06.7', E'line one\\nline "two"\\t''quoted'' \\\\ back ünï 表',
  'varchar', 'ab', true, 'happy', 7, '192.168.0.1/24', 12.34),
 ('00000000-0000-0000-0000-000000000002', NULL, 'Infinity', '1e-30', NULL, NULL, NULL, 'null',
  '{{}}', '{{}}', NULL, '', NULL, 'infinity', NULL, NULL, '-1 mon', '', NULL, NULL, false,
  'sad', NULL, '::1', NULL),
 ('00000000-0000-0000-0000-000000000003', -0.000001, '-Infinity', 'NaN', 0, 0, '"str"',
  '"str"', NULL, '{{NULL}}', '{{{{NULL}}}}', '\\x', '-infinity', '2000-01-01 12:00', '2000-01-01',
  '00:00:00.000001', '0', E'\\r\\n', 'x', 'a', NULL, NULL, 1, NULL, -1)
"""


def test_many_column_types_rebuild_exactly(eng: PostgresEngine) -> None:
    ddl = TYPES_DDL.format(table='"Types"')
    for statement in ddl.split(";"):
        eng.run_sql(statement)
    eng.run_sql(ROWS.format(table='"Types"'))
    base = eng.snapshot_table("public", "Types")
    eng.run_sql(
        """UPDATE "Types" SET jb = jb || '{"c": 3}', n = n * 2, span = span * 2,
        texts = texts || '{"new"}', m = 'ok' WHERE id = '00000000-0000-0000-0000-000000000001'"""
    )
    eng.run_sql("""DELETE FROM "Types" WHERE id = '00000000-0000-0000-0000-000000000003'""")
    keys = [("00000000-0000-0000-0000-000000000001",)]
    patch = store_patch(eng, "public", "Types", keys, [("00000000-0000-0000-0000-000000000003",)])
    rebuilt = clone_empty(eng, TableRef("public", "Types"), "rebuilt")
    eng.apply_fragments(objects_of([base, patch]), "public", "rebuilt")
    assert count(eng, rebuilt) == 2
    assert differences(eng, TableRef("public", "Types"), rebuilt) == 0
    assert eng.snapshot_table("public", "rebuilt") == eng.snapshot_table("public", "Types")


HOSTILE_SCHEMA = 'Odd "Schema"; DROP'
HOSTILE_TABLE = "Tab'le ünï 表 ;--"
KEY = 'Co"l; x'
VALUE = "MixedCase Col %s"


def test_hostile_identifiers(eng: PostgresEngine) -> None:
    table = sql.Identifier(HOSTILE_SCHEMA, HOSTILE_TABLE)
    eng.run_sql(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(HOSTILE_SCHEMA)))
    eng.run_sql(
        sql.SQL("CREATE TABLE {} ({} int PRIMARY KEY, {} text)").format(
            table, sql.Identifier(KEY), sql.Identifier(VALUE)
        )
    )
    eng.run_sql(sql.SQL("INSERT INTO {} VALUES (1, 'a'), (2, 'b'), (3, 'c')").format(table))
    base = eng.snapshot_table(HOSTILE_SCHEMA, HOSTILE_TABLE)
    eng.run_sql(sql.SQL("UPDATE {} SET {} = 'B' WHERE {} = 2").format(
        table, sql.Identifier(VALUE), sql.Identifier(KEY)))  # fmt: skip
    eng.store_fragment([(2,)], [(9,)], HOSTILE_SCHEMA, "frag ;'\"", HOSTILE_SCHEMA, HOSTILE_TABLE)
    rebuilt = clone_empty(eng, TableRef(HOSTILE_SCHEMA, HOSTILE_TABLE), 'Re"built; ü')
    quals = sql.SQL("{} >= %s").format(sql.Identifier(KEY))
    eng.apply_fragments([("sg_meta", base), (HOSTILE_SCHEMA, "frag ;'\"")], *rebuilt, quals, (2,))
    rows = eng.run_sql(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(*rebuilt)))
    assert rows == [(2, "B"), (3, "c")]


def test_extra_quals_filter_inserted_rows_only(eng: PostgresEngine) -> None:
    eng.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text)")
    eng.run_sql("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 10) g")
    base = eng.snapshot_table("public", "t")
    target = clone_empty(eng, T, "t2")
    eng.run_sql("INSERT INTO t2 VALUES (1, 'stale'), (50, 'untouched')")
    eng.apply_fragments(
        objects_of([base]), "public", "t2", sql.SQL("v <> %s AND id <= %s"), ("v3", 5)
    )
    rows = eng.run_sql("SELECT * FROM t2 ORDER BY id")
    assert rows == [(1, "v1"), (2, "v2"), (4, "v4"), (5, "v5"), (50, "untouched")]
    assert count(eng, target) == 5


Failing = Callable[[PostgresEngine, str], None]


def _missing_object(eng: PostgresEngine, base: str) -> None:
    eng.apply_fragments(objects_of([base, "o" + "0" * 62]), "public", "t2")


def _bad_quals(eng: PostgresEngine, base: str) -> None:
    eng.apply_fragments(objects_of([base]), "public", "t2", sql.SQL("no_such_column = %s"), (1,))


def _missing_target(eng: PostgresEngine, base: str) -> None:
    eng.apply_fragments(objects_of([base]), "public", "nowhere")


@pytest.mark.parametrize(
    ("fail", "error"),
    [(_missing_object, ObjectNotFoundError), (_bad_quals, Exception),
     (_missing_target, TableNotFoundError)],
)  # fmt: skip
def test_failed_apply_changes_nothing(
    eng: PostgresEngine, fail: Failing, error: type[Exception]
) -> None:
    eng.run_sql("CREATE TABLE t (id int PRIMARY KEY, v text)")
    eng.run_sql("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 10) g")
    base = eng.snapshot_table("public", "t")
    clone_empty(eng, T, "t2")
    eng.run_sql("INSERT INTO t2 VALUES (1, 'stale'), (50, 'untouched')")
    eng.commit()
    eng.run_sql("INSERT INTO t2 VALUES (60, 'this transaction')")
    with pytest.raises(error) as raised:
        fail(eng, base)
    assert raised.type.__module__.startswith("sg.")
    # the caller's transaction goes on, with its own work and without any of the apply
    rows = eng.run_sql("SELECT * FROM t2 ORDER BY id", return_shape=ResultShape.MANY_MANY)
    assert rows == [(1, "stale"), (50, "untouched"), (60, "this transaction")]
