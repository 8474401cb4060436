"""Property: every committed version checks out equal to the tables right after its commit.

Histories branch: a step may check an older version out in place before more commits.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from sg import PostgresEngine, ResultShape, VersionedSchema
from sg.domain.versions import CompactionPolicy
from tests.support.engines import EngineFactory
from tests.support.servers import TestServer

KEYS = st.integers(min_value=1, max_value=12)
VALUES = st.one_of(st.none(), st.integers(min_value=-3, max_value=3))
STEPS = st.one_of(
    st.tuples(st.just("insert"), st.sampled_from(["keyed", "bag"]), KEYS, VALUES),
    st.tuples(st.just("update"), st.sampled_from(["keyed", "bag"]), KEYS, VALUES),
    st.tuples(st.just("delete"), st.sampled_from(["keyed", "bag"]), KEYS, VALUES),
    st.tuples(st.just("commit"), st.just(""), st.just(0), st.just(None)),
    st.tuples(st.just("checkout"), st.just(""), KEYS, st.just(None)),
)


def _run(engine: PostgresEngine, statement: sql.Composable, args: list[Any]) -> None:
    engine.run_sql(statement, args, return_shape=ResultShape.NONE)


def _step(engine: PostgresEngine, schema: str, step: tuple[str, str, int, int | None]) -> None:
    kind, table, key, value = step
    target = sql.Identifier(schema, table)
    if kind == "insert" and table == "keyed":
        upsert = sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT (k) DO NOTHING")
        _run(engine, upsert.format(target), [key, value])
    elif kind == "insert":
        _run(engine, sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(target), [key, value])
    elif kind == "update":
        statement = sql.SQL("UPDATE {} SET v = %s WHERE k = %s").format(target)
        _run(engine, statement, [value, key])
    else:
        _run(engine, sql.SQL("DELETE FROM {} WHERE k = %s").format(target), [key])


def _contents(engine: PostgresEngine, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    result = {}
    for table in ("keyed", "bag"):
        query = sql.SQL("SELECT k, v FROM {} ORDER BY k, v NULLS FIRST").format(
            sql.Identifier(schema, table)
        )
        result[table] = list(engine.run_sql(query, return_shape=ResultShape.MANY_MANY))
    return result


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEPS, min_size=1, max_size=25))
def test_every_version_checks_out_as_it_was_committed_here_and_after_a_push(
    make_engine: EngineFactory,
    remote_server: TestServer,
    steps: list[tuple[str, str, int, int | None]],
) -> None:
    try:
        _check_versions(
            make_engine(PostgresEngine), make_engine(PostgresEngine, on=remote_server), steps
        )
    finally:
        make_engine.cleanup()  # each example's databases, so shrinking does not pile them up


def _check_versions(
    local: PostgresEngine, remote: PostgresEngine, steps: list[tuple[str, str, int, int | None]]
) -> None:
    for engine in (local, remote):
        engine.initialize()
        engine.commit()
    schema = "s"
    local.run_sql(
        "CREATE SCHEMA s; CREATE TABLE s.keyed (k integer PRIMARY KEY, v integer);"
        " CREATE TABLE s.bag (k integer, v integer)",
        return_shape=ResultShape.NONE,
    )
    # Small tables would be compacted at every commit: keep chains, up to 4 objects long.
    local.versions.policy = CompactionPolicy(max_patch_ratio=1e9, max_chain=4)
    versioned = VersionedSchema(local, schema)
    expected = {versioned.init().version_id: _contents(local, schema)}
    for step in [*steps, ("commit", "", 0, None)]:
        if step[0] == "commit":
            version = versioned.commit("step")
            if version is not None:
                expected[version.version_id] = _contents(local, schema)
        elif step[0] == "checkout":  # in place: later commits branch off an older version
            ids = list(expected)
            versioned.checkout(ids[step[2] % len(ids)], force=True)
            assert _contents(local, schema) == expected[ids[step[2] % len(ids)]]
        else:
            _step(local, schema, step)
    local.commit()
    versioned.push(remote)
    mirror = VersionedSchema(remote, schema)
    for version_id, contents in expected.items():
        for engine, history in ((local, versioned), (remote, mirror)):
            into = f"v_{uuid.uuid4().hex[:12]}"
            history.checkout(version_id, into=into)
            assert _contents(engine, into) == contents
