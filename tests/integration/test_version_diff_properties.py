"""Property: a diff from the objects equals the diff of both versions built whole."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from sg import PostgresEngine, ResultShape, VersionedSchema
from sg.domain.versions import CompactionPolicy
from tests.support.engines import EngineFactory

KEYS = st.integers(min_value=1, max_value=8)
VALUES = st.one_of(st.none(), st.integers(min_value=-2, max_value=2))
TABLES = st.sampled_from(["keyed", "bag", "pair"])
STEPS = st.one_of(
    st.tuples(st.sampled_from(["insert", "update", "delete"]), TABLES, KEYS, VALUES),
    st.tuples(st.sampled_from(["commit", "checkout", "compact"]), st.just(""), KEYS, st.none()),
)
TABLE_SQL = """
CREATE SCHEMA d;
CREATE TABLE d.keyed (k integer PRIMARY KEY, v integer, w text);
CREATE TABLE d.bag (k integer, v integer);
CREATE TABLE d.pair (a integer, b text, v integer, PRIMARY KEY (b, a));
"""


def _dml(engine: PostgresEngine, table: str, key: int, value: int | None, kind: str) -> None:
    target = sql.Identifier("d", table)
    text = None if value is None else f"t{value}"
    if kind == "insert" and table == "keyed":
        statement = sql.SQL("INSERT INTO {} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING")
        args: list[Any] = [key, value, text]
    elif kind == "insert" and table == "pair":
        statement = sql.SQL("INSERT INTO {} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING")
        args = [key % 3, f"b{key % 2}", value]
    elif kind == "insert":
        statement, args = sql.SQL("INSERT INTO {} VALUES (%s, %s)"), [key, value]
    elif kind == "update" and table == "pair":
        statement, args = sql.SQL("UPDATE {} SET v = %s WHERE a = %s"), [value, key % 3]
    elif kind == "update" and table == "keyed":
        statement = sql.SQL("UPDATE {} SET v = %s, w = coalesce(w, %s) WHERE k = %s")
        args = [value, text, key]
    elif kind == "update":
        statement, args = sql.SQL("UPDATE {} SET v = %s WHERE k = %s"), [value, key]
    elif table == "pair":
        statement, args = sql.SQL("DELETE FROM {} WHERE a = %s"), [key % 3]
    else:
        statement, args = sql.SQL("DELETE FROM {} WHERE k = %s"), [key]
    engine.run_sql(statement.format(target), args, return_shape=ResultShape.NONE)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEPS, min_size=1, max_size=25))
def test_diff_from_objects_equals_the_diff_of_both_versions_built(
    make_engine: EngineFactory, steps: list[tuple[str, str, int, int | None]]
) -> None:
    try:
        _check_diffs(make_engine(PostgresEngine), steps)
    finally:
        make_engine.cleanup()


def _check_diffs(engine: PostgresEngine, steps: list[tuple[str, str, int, int | None]]) -> None:
    engine.initialize()
    engine.run_sql(TABLE_SQL, return_shape=ResultShape.NONE)
    engine.commit()
    # Small tables would be compacted at every commit: keep chains unless a step compacts.
    keep = CompactionPolicy(max_patch_ratio=1e9, max_chain=6)
    engine.versions.policy = keep
    versioned = VersionedSchema(engine, "d")
    versioned.init()
    for kind, table, key, value in steps:
        if kind == "commit":
            versioned.commit("step")
        elif kind == "compact":
            engine.versions.policy = CompactionPolicy(max_patch_ratio=0.0)
            versioned.commit("compact")
            engine.versions.policy = keep
        elif kind == "checkout":
            versions = versioned.log()
            versioned.checkout(versions[key % len(versions)].version_id, force=True)
        else:
            _dml(engine, table, key, value, kind)
    engine.commit()
    service = engine.versions
    ids = [v.version_id for v in versioned.log()]
    for old in ids:
        assert service.diff("d", old) == service.diff("d", old, materialize=True)
        for new in ids:
            assert service.diff("d", old, new) == service.diff("d", old, new, materialize=True)
    engine.commit()
