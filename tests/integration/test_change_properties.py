"""Differential properties: random tables and DML histories against PostgreSQL's own diff.

Each example creates a table of random column types (a primary key of some columns in any
order, or none), fills it, snapshots it (the base object) and copies it (`before`), tracks
it, and runs a random history of INSERT, UPDATE (keys too), DELETE, TRUNCATE, rolled-back
savepoints, commits and rollbacks. Then:

- `get_pending_changes` equals the diff PostgreSQL computes between `before` and the table
  (values compared by their text, so a changed numeric scale or a -0 is a change);
- `commit_changes`, then checking out base + patch, rebuilds exactly the live table, and
  nothing stays pending; this one also with values Python cannot hold (infinite dates).

`SG_FUZZ=1` (`make fuzz`) selects a profile with many more examples.

Histories also delete and re-insert rows in one query through a writable WITH (whose
triggers fire in another order than its parts took effect), and change the session's
client_encoding, DateStyle, IntervalStyle, TimeZone and float digits: sg reads the pending
changes under whatever the history left set. Content ids of values produced in different
ways are the subject of `test_object_id_properties.py`; partitioned tables have their own
tests in `security/test_partition_writes.py`.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from sg import PostgresEngine, ResultShape
from sg.domain.errors import SgError
from tests.support.servers import TestServer

# Names of their own: the shared profiles of tests/support/fuzz.py stay as they are.
settings.register_profile(
    "sg-changes-default",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "sg-changes-fuzz",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = "sg-changes-fuzz" if os.environ.get("SG_FUZZ") == "1" else "sg-changes-default"


@dataclass(frozen=True)
class ColumnType:
    """A column type, literals of it worth trying, and whether it can be in a primary key.

    `unloadable` literals have no Python value (psycopg refuses infinite dates), so they
    are used only where nothing is read into Python.
    """

    sql_type: str
    literals: tuple[str, ...]
    keyable: bool = True
    unloadable: tuple[str, ...] = ()

    def choices(self, loadable: bool) -> tuple[str, ...]:
        """The literals to draw from."""
        return self.literals if loadable else self.literals + self.unloadable


TYPES = (
    ColumnType("integer", ("0", "1", "2", "3", "-7", "2147483647")),
    ColumnType("bigint", ("1", "2", "-9223372036854775808")),
    ColumnType("text", ("", "a", "A", "a b", "wert ä", "it's", '"q"', "\\", "NULL")),
    ColumnType("numeric", ("1", "1.0", "1.00", "-0.5", "NaN", "Infinity", "1e-20")),
    ColumnType("numeric(8,3)", ("1", "2.5", "-0.001")),
    ColumnType(
        "double precision", ("0", "-0", "NaN", "Infinity", "-Infinity", "0.1", "1e308", "5e-324")
    ),
    ColumnType("real", ("0", "-0", "NaN", "0.1")),
    ColumnType("boolean", ("true", "false")),
    ColumnType("bytea", ("\\x", "\\x00", "\\x00ff", "\\xdeadbeef")),
    ColumnType(
        "timestamptz",
        ("2024-01-01 00:00:00+00", "2024-03-31 01:30:00+02", "1999-12-31 23:59:59.999999+00"),
        unloadable=("infinity",),
    ),
    ColumnType(
        "timestamp", ("2024-01-01 00:00:00", "2000-02-29 12:00:00.5"), unloadable=("-infinity",)
    ),
    ColumnType("date", ("2024-01-01", "1970-01-01"), unloadable=("infinity",)),
    ColumnType(
        "uuid", ("00000000-0000-0000-0000-000000000000", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    ),
    ColumnType("integer[]", ("{}", "{1,NULL}", "{{1,2},{3,4}}", "{1}")),
    ColumnType("text[]", ("{}", "{a,NULL}", '{"b c",""}', "{a}")),
    ColumnType(
        "jsonb",
        ("null", "1.00000000000000000001", "1e400", '{"a": [1, null]}', "[1, 2]", '"x"', "1.0"),
    ),
    ColumnType("json", ("null", '{"b": 1, "a": 2}', '{"a": 2, "b": 1}', "1.0"), keyable=False),
)
NAMES = ("a", "b c", 'Q"t', "o'k", "x%y", "wert")


@dataclass(frozen=True)
class Table:
    """A generated table: column names and types, its key (column indexes, key order), and
    whether its values are all loadable into Python."""

    names: tuple[str, ...]
    types: tuple[ColumnType, ...]
    key: tuple[int, ...]
    loadable: bool


Row = tuple[str | None, ...]


@dataclass(frozen=True)
class Insert:
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Update:
    column: int
    value: str | None
    offset: int
    limit: int


@dataclass(frozen=True)
class Delete:
    offset: int
    limit: int


@dataclass(frozen=True)
class Reinsert:
    """Delete some rows and insert up to `keep` of them again, in one query."""

    offset: int
    limit: int
    keep: int


@dataclass(frozen=True)
class SessionSetting:
    """A session setting the user's own session may have."""

    statement: str


SESSION_SETTINGS = (
    "SET DateStyle = 'German, DMY'",
    "SET DateStyle = 'SQL, MDY'",
    "SET IntervalStyle = 'sql_standard'",
    "SET IntervalStyle = 'iso_8601'",
    "SET TimeZone = 'Asia/Kathmandu'",
    "SET extra_float_digits = -3",
    "SET client_encoding = 'LATIN1'",
    "SET bytea_output = 'escape'",
)


@dataclass(frozen=True)
class Truncate:
    pass


@dataclass(frozen=True)
class Commit:
    pass


@dataclass(frozen=True)
class Rollback:
    pass


@dataclass(frozen=True)
class RolledBack:
    """Statements run in a savepoint that is then rolled back."""

    steps: tuple[Any, ...]


@st.composite
def tables(draw: st.DrawFn, loadable: bool) -> Table:
    width = draw(st.integers(1, 4))
    types = tuple(draw(st.lists(st.sampled_from(TYPES), min_size=width, max_size=width)))
    names = NAMES[:width]
    keyable = [i for i, t in enumerate(types) if t.keyable]
    key: tuple[int, ...] = ()
    keyed: bool = draw(st.booleans())
    if keyable and keyed:
        order: list[int] = draw(st.permutations(keyable))
        key = tuple(order[: draw(st.integers(1, len(keyable)))])
    return Table(names, types, key, loadable)


def values(table: Table, column: int) -> st.SearchStrategy[str | None]:
    choices = st.sampled_from(table.types[column].choices(table.loadable))
    return choices if column in table.key else st.one_of(st.none(), choices)


def rows(table: Table) -> st.SearchStrategy[Row]:
    return st.tuples(*(values(table, i) for i in range(len(table.names))))


def steps(table: Table) -> st.SearchStrategy[Any]:
    positions = st.integers(0, 6)
    dml = st.one_of(
        st.builds(Insert, st.lists(rows(table), min_size=1, max_size=4).map(tuple)),
        st.integers(0, len(table.names) - 1).flatmap(
            lambda c: st.builds(Update, st.just(c), values(table, c), positions, positions)
        ),
        st.builds(Delete, positions, positions),
        st.builds(Reinsert, positions, positions, positions),
        st.just(Truncate()),
        st.builds(SessionSetting, st.sampled_from(SESSION_SETTINGS)),
    )
    nested = st.builds(RolledBack, st.lists(dml, min_size=1, max_size=3).map(tuple))
    return st.one_of(dml, dml, dml, nested, st.just(Commit()), st.just(Rollback()))


@dataclass
class Example:
    """One generated case: the table, its first rows and the history run once tracked."""

    table: Table
    initial: tuple[Row, ...]
    history: tuple[Any, ...]


@st.composite
def examples(draw: st.DrawFn, loadable: bool = True) -> Example:
    table = draw(tables(loadable))
    initial = tuple(draw(st.lists(rows(table), max_size=6)))
    history = tuple(draw(st.lists(steps(table), max_size=10)))
    return Example(table, initial, history)


_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def engine(server: TestServer) -> Iterator[PostgresEngine]:
    """One engine for every example (each example uses tables of its own)."""
    name = server.create_database()
    eng = PostgresEngine(server.params(name), "properties")
    eng.initialize()
    eng.run_sql("CREATE SCHEMA rebuilt")
    eng.commit()
    try:
        yield eng
    finally:
        eng.rollback()
        eng.close()
        server.drop_database(name)


class Runner:
    """Runs a generated example on `engine` against table `public.<name>`."""

    def __init__(self, engine: PostgresEngine, table: Table, name: str) -> None:
        self.engine = engine
        self.table = table
        self.name = name
        self.target = sql.Identifier("public", name)

    def literal(self, column: int, value: str | None) -> sql.Composable:
        if value is None:
            return sql.NULL
        return sql.SQL("{}::{}").format(
            sql.Literal(value), sql.SQL(self.table.types[column].sql_type)
        )

    def create(self) -> None:
        columns = [
            sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t.sql_type))
            for n, t in zip(self.table.names, self.table.types, strict=True)
        ]
        if self.table.key:
            key = [sql.Identifier(self.table.names[i]) for i in self.table.key]
            columns.append(sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(key)))
        self.run(sql.SQL("CREATE TABLE {} ({})").format(self.target, sql.SQL(", ").join(columns)))

    def run(self, statement: sql.Composable) -> None:
        self.engine.run_sql(statement, return_shape=ResultShape.NONE)

    def attempt(self, statement: sql.Composable) -> None:
        """Run a statement in a savepoint; a refused one (a duplicate key) changes nothing."""
        try:
            with self.engine.savepoint():
                self.run(statement)
        except SgError:
            pass

    def insert(self, rows: Sequence[Row]) -> None:
        values = sql.SQL(", ").join(
            sql.SQL("({})").format(
                sql.SQL(", ").join(self.literal(i, v) for i, v in enumerate(row))
            )
            for row in rows
        )
        conflict = sql.SQL(" ON CONFLICT DO NOTHING" if self.table.key else "")
        self.attempt(sql.SQL("INSERT INTO {} VALUES {}{}").format(self.target, values, conflict))

    def step(self, step: Any) -> None:
        chosen = sql.SQL(
            "WHERE ctid = ANY (ARRAY(SELECT ctid FROM {} ORDER BY ctid OFFSET {} LIMIT {}))"
        )
        if isinstance(step, Insert):
            self.insert(step.rows)
        elif isinstance(step, Update):
            self.attempt(
                sql.SQL("UPDATE {} SET {} = {} ").format(
                    self.target,
                    sql.Identifier(self.table.names[step.column]),
                    self.literal(step.column, step.value),
                )
                + chosen.format(self.target, sql.Literal(step.offset), sql.Literal(step.limit))
            )
        elif isinstance(step, Delete):
            self.attempt(
                sql.SQL("DELETE FROM {} ").format(self.target)
                + chosen.format(self.target, sql.Literal(step.offset), sql.Literal(step.limit))
            )
        elif isinstance(step, Reinsert):
            self.attempt(
                sql.SQL("WITH d AS (DELETE FROM {} ").format(self.target)
                + chosen.format(self.target, sql.Literal(step.offset), sql.Literal(step.limit))
                + sql.SQL(" RETURNING *) INSERT INTO {} SELECT * FROM d LIMIT {}").format(
                    self.target, sql.Literal(step.keep)
                )
            )
        elif isinstance(step, SessionSetting):
            self.engine.run_sql(step.statement)
        elif isinstance(step, Truncate):
            self.attempt(sql.SQL("TRUNCATE {}").format(self.target))
        elif isinstance(step, Commit):
            self.engine.commit()
        elif isinstance(step, Rollback):
            self.engine.rollback()
        elif isinstance(step, RolledBack):
            try:
                with self.engine.savepoint():
                    for inner in step.steps:
                        self.step(inner)
                    raise _UndoError
            except _UndoError:
                pass

    def drop(self) -> None:
        self.engine.rollback()
        self.engine.run_sql("RESET ALL")
        self.engine.untrack_tables([("public", self.name)])
        for schema, table in [("public", self.name), ("public", f"{self.name}_before")]:
            self.run(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, table)))
        self.run(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("rebuilt", self.name)))
        self.engine.commit()


class _UndoError(Exception):
    """Raised to roll a savepoint back on purpose."""


def _select(engine: PostgresEngine, query: sql.Composable) -> list[tuple[Any, ...]]:
    rows = engine.run_sql(query, return_shape=ResultShape.MANY_MANY)
    assert isinstance(rows, list)
    return [tuple(row) for row in rows]


Diff = list[tuple[Any, int, dict[str, Any]]]


def expected_changes(runner: Runner) -> Diff:
    """The diff of `<name>_before` and the table, as (key, kind, data), by PostgreSQL alone."""
    return _keyed_diff(runner) if runner.table.key else _row_diff(runner)


def _sides(runner: Runner) -> tuple[sql.Composable, sql.Composable, sql.Composable]:
    before = sql.Identifier("public", f"{runner.name}_before")
    every = sql.SQL(", ").join(sql.Identifier("x", n) for n in runner.table.names)
    return runner.target, before, every


def _row_diff(runner: Runner) -> Diff:
    """Per row text: one INSERT per copy gained, one DELETE per copy lost."""
    after, before, every = _sides(runner)
    names = runner.table.names
    counts: dict[str, list[Any]] = {}
    for side, source in ((1, after), (-1, before)):
        query = sql.SQL("SELECT x::text, {} FROM {} AS x").format(every, source)
        for text, *row in _select(runner.engine, query):
            entry = counts.setdefault(text, [0, tuple(row)])
            entry[0] += side
    changes: Diff = []
    for surplus, row in counts.values():
        kind = 0 if surplus > 0 else 1
        changes += [(row, kind, dict(zip(names, row, strict=True)))] * abs(surplus)
    return changes


def _keyed_diff(runner: Runner) -> Diff:
    """Keys gained, keys lost, and keys whose columns' text changed."""
    after, before, every = _sides(runner)
    names = runner.table.names
    key = [names[i] for i in runner.table.key]
    match = sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier("x", n), sql.Identifier("y", n)) for n in key
    )
    changes: Diff = []
    missing = sql.SQL("SELECT {} FROM {} AS x WHERE NOT EXISTS (SELECT FROM {} AS y WHERE {})")
    for kind, (mine, theirs) in ((0, (after, before)), (1, (before, after))):
        for row in _select(runner.engine, missing.format(every, mine, theirs, match)):
            data = dict(zip(names, row, strict=True))
            changes.append((tuple(data[n] for n in key), kind, data))
    differs = sql.SQL(", ").join(
        sql.SQL("x.{0}::text IS DISTINCT FROM y.{0}::text").format(sql.Identifier(n)) for n in names
    )
    both = sql.SQL("SELECT {}, {} FROM {} AS x JOIN {} AS y ON {}").format(
        every, differs, after, before, match
    )
    for row in _select(runner.engine, both):
        data = dict(zip(names, row[: len(names)], strict=True))
        changed = {n: data[n] for n, flag in zip(names, row[len(names) :], strict=True) if flag}
        if changed:
            changes.append((tuple(data[n] for n in key), 2, changed))
    return changes


def _canonical(changes: Sequence[tuple[Any, int, dict[str, Any]]]) -> list[str]:
    """Changes as sortable text that tells NaN from NaN's absence and 1.0 from 1.00.

    A timestamptz counts as its instant: sg returns it in the reading session's TimeZone,
    which a history may have changed (see "Pinned sessions" in the README).
    """
    return sorted(
        repr((_instants(tuple(key)), int(kind), sorted(_instants(data).items())))
        for key, kind, data in changes
    )


def _instants(value: Any) -> Any:
    """`value` with every timezone-aware datetime in it moved to UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, tuple | list):
        return type(value)(_instants(item) for item in value)
    if isinstance(value, dict):
        return {name: _instants(item) for name, item in value.items()}
    return value


def _rows_text(engine: PostgresEngine, schema: str, name: str) -> Counter[str]:
    query = sql.SQL("SELECT x::text FROM {} AS x").format(sql.Identifier(schema, name))
    return Counter(str(row[0]) for row in _select(engine, query))


def _prepare(runner: Runner, example: Example) -> str:
    """Create, fill, snapshot, copy and track the example's table, run its history; the base."""
    engine, name = runner.engine, runner.name
    runner.create()
    for row in example.initial:
        runner.insert([row])
    engine.commit()
    base = engine.snapshot_table("public", name)
    runner.run(
        sql.SQL("CREATE TABLE {} AS SELECT * FROM {}").format(
            sql.Identifier("public", f"{name}_before"), runner.target
        )
    )
    engine.track_tables([("public", name)])
    engine.commit()
    for step in example.history:
        runner.step(step)
    engine.commit()
    return base


def _commit_and_rebuild(runner: Runner, base: str) -> str | None:
    """Commit the pending changes; check that base + patch rebuild the table; the patch."""
    engine, name = runner.engine, runner.name
    patch = engine.commit_changes("public", name)
    engine.commit()
    assert engine.get_pending_changes("public", name) == []
    objects = [base] if patch is None else [base, patch]
    engine.checkout_objects(objects, "rebuilt", name)
    engine.commit()
    assert _rows_text(engine, "rebuilt", name) == _rows_text(engine, "public", name)
    return patch


@settings(settings.get_profile(PROFILE))
@given(example=examples())
def test_pending_changes_and_commits_match_postgres(
    engine: PostgresEngine, example: Example
) -> None:
    runner = Runner(engine, example.table, f"p{next(_numbers)}")
    try:
        base = _prepare(runner, example)
        # sg reads under whatever settings the history left; the test's own reads under none.
        pending = engine.get_pending_changes("public", runner.name)
        counts = engine.get_pending_changes("public", runner.name, aggregate=True)
        engine.run_sql("RESET ALL")
        expected = expected_changes(runner)
        assert _canonical(pending) == _canonical(expected)
        kinds = Counter(kind for _, kind, _ in expected)
        assert counts == (kinds[0], kinds[1], kinds[2])
        patch = _commit_and_rebuild(runner, base)
        assert (patch is None) == (not expected)
    finally:
        runner.drop()


@settings(settings.get_profile(PROFILE))
@given(example=examples(loadable=False))
def test_commits_rebuild_values_python_cannot_hold(
    engine: PostgresEngine, example: Example
) -> None:
    runner = Runner(engine, example.table, f"p{next(_numbers)}")
    try:
        base = _prepare(runner, example)
        engine.run_sql("RESET ALL")
        _commit_and_rebuild(runner, base)
    finally:
        runner.drop()
