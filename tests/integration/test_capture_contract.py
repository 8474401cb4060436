"""One contract for the change-capture port, run against PostgreSQL and the in-memory fake,
so the fake the unit tests rely on cannot drift from the real adapter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pytest
from psycopg import sql

from sg import PsycopgEngine
from sg.adapters.postgres.capture import PostgresChangeCapture
from sg.adapters.postgres.sql_runner import PsycopgSqlRunner
from sg.domain.engine_params import EngineParams
from sg.domain.errors import TableNotFoundError, TableNotTrackedError
from sg.domain.model import ResultShape, StagedKeys, TableRef
from sg.ports.capture import ChangeCapture, KeyState
from tests.integration.conftest import EngineFactory
from tests.unit.fakes import FakeChangeCapture


class Writer(Protocol):
    """Creates and writes tables of one capture implementation."""

    capture: ChangeCapture

    def create(self, name: str, columns: list[str], key: list[str]) -> TableRef: ...
    def insert(self, table: TableRef, *rows: dict[str, Any]) -> None: ...
    def update(self, table: TableRef, where: dict[str, Any], values: dict[str, Any]) -> None: ...
    def delete(self, table: TableRef, where: dict[str, Any]) -> None: ...
    def truncate(self, table: TableRef) -> None: ...
    def drop(self, table: TableRef) -> None: ...
    def staged(self, keys: StagedKeys) -> list[tuple[tuple[Any, ...], bool]]: ...


class FakeWriter:
    """Writes through the fake's own DML."""

    def __init__(self) -> None:
        self.fake = FakeChangeCapture()
        self.capture: ChangeCapture = self.fake

    def create(self, name: str, columns: list[str], key: list[str]) -> TableRef:
        ref = TableRef("public", name)
        self.fake.create_table(ref, columns, key)
        return ref

    def insert(self, table: TableRef, *rows: dict[str, Any]) -> None:
        self.fake.insert(table, *rows)

    def update(self, table: TableRef, where: dict[str, Any], values: dict[str, Any]) -> None:
        self.fake.update(table, where, values)

    def delete(self, table: TableRef, where: dict[str, Any]) -> None:
        self.fake.delete(table, where)

    def truncate(self, table: TableRef) -> None:
        self.fake.truncate(table)

    def drop(self, table: TableRef) -> None:
        self.fake.drop_table(table)

    def staged(self, keys: StagedKeys) -> list[tuple[tuple[Any, ...], bool]]:
        return sorted(self.fake.staged[keys.handle], key=repr)


class PostgresWriter:
    """Writes with SQL through a runner on an initialized database (columns are all int)."""

    def __init__(self, params: dict[str, str]) -> None:
        self.runner = PsycopgSqlRunner(EngineParams.from_mapping(params), "contract")
        self.capture: ChangeCapture = PostgresChangeCapture(self.runner)

    def _run(self, statement: sql.Composable, args: list[Any] | None = None) -> None:
        self.runner.run(statement, args, ResultShape.NONE)

    def create(self, name: str, columns: list[str], key: list[str]) -> TableRef:
        ref = TableRef("public", name)
        defs = [sql.SQL("{} int").format(sql.Identifier(c)) for c in columns]
        if key:
            defs.append(
                sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(map(sql.Identifier, key)))
            )
        self._run(
            sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(*ref), sql.SQL(", ").join(defs))
        )
        return ref

    def insert(self, table: TableRef, *rows: dict[str, Any]) -> None:
        names = list(rows[0])
        values = sql.SQL(", ").join(
            sql.SQL("({})").format(sql.SQL(", ").join(sql.Literal(row[n]) for n in names))
            for row in rows
        )
        self._run(
            sql.SQL("INSERT INTO {} ({}) VALUES {}").format(
                sql.Identifier(*table), sql.SQL(", ").join(map(sql.Identifier, names)), values
            )
        )

    def update(self, table: TableRef, where: dict[str, Any], values: dict[str, Any]) -> None:
        self._run(
            sql.SQL("UPDATE {} SET {} WHERE {}").format(
                sql.Identifier(*table), _pairs(values, ", "), _pairs(where, " AND ")
            )
        )

    def delete(self, table: TableRef, where: dict[str, Any]) -> None:
        self._run(
            sql.SQL("DELETE FROM {} WHERE {}").format(
                sql.Identifier(*table), _pairs(where, " AND ")
            )
        )

    def truncate(self, table: TableRef) -> None:
        self._run(sql.SQL("TRUNCATE {}").format(sql.Identifier(*table)))

    def drop(self, table: TableRef) -> None:
        self._run(sql.SQL("DROP TABLE {}").format(sql.Identifier(*table)))

    def staged(self, keys: StagedKeys) -> list[tuple[tuple[Any, ...], bool]]:
        rows = self.runner.run(
            sql.SQL("SELECT * FROM {}").format(sql.Identifier("pg_temp", keys.handle)),
            None,
            ResultShape.MANY_MANY,
        )
        return sorted(((tuple(row[:-1]), bool(row[-1])) for row in rows), key=repr)


def _pairs(values: dict[str, Any], separator: str) -> sql.Composed:
    return sql.SQL(separator).join(
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(v)) for k, v in values.items()
    )


@pytest.fixture(params=["postgres", "fake"])
def writer(request: pytest.FixtureRequest, make_engine: EngineFactory) -> Iterator[Writer]:
    if request.param == "fake":
        yield FakeWriter()
        return
    engine = make_engine(PsycopgEngine)
    engine.initialize()
    real = PostgresWriter(engine.conn_params)
    try:
        yield real
    finally:
        real.runner.rollback()
        real.runner.close()


@pytest.fixture
def t(writer: Writer) -> TableRef:
    table = writer.create("t", ["id", "a", "b"], ["id"])
    writer.insert(table, *({"id": i, "a": i * 10, "b": None} for i in range(1, 6)))
    writer.capture.track(table)
    return table


def test_key_states_after_a_mix_of_statements(writer: Writer, t: TableRef) -> None:
    writer.insert(t, {"id": 9, "a": 90, "b": 9})
    writer.update(t, {"id": 9}, {"b": 99})
    writer.insert(t, {"id": 8, "a": 80, "b": 8})
    writer.delete(t, {"id": 8})
    writer.update(t, {"id": 1}, {"a": 11, "b": 1})
    writer.update(t, {"id": 2}, {"a": 0})
    writer.update(t, {"id": 2}, {"a": 20})
    writer.update(t, {"id": 3}, {"id": 7})
    writer.delete(t, {"id": 4})
    writer.insert(t, {"id": 4, "a": 40, "b": None})
    writer.delete(t, {"id": 5})
    writer.insert(t, {"id": 5, "a": 55, "b": None})
    assert writer.capture.read(t).states == [
        KeyState((1,), 1, 1, {"a": 11, "b": 1}),
        KeyState((3,), 1, 0, {"id": 3, "a": 30, "b": None}),
        KeyState((5,), 1, 1, {"a": 55}),
        KeyState((7,), 0, 1, {"id": 7, "a": 30, "b": None}),
        KeyState((9,), 0, 1, {"id": 9, "a": 90, "b": 99}),
    ]
    assert writer.capture.read(t, limit=2).states == writer.capture.read(t).states[:2]
    assert writer.capture.count(t) == (2, 1, 2)


def test_has_changes_is_true_only_for_a_net_change(writer: Writer, t: TableRef) -> None:
    assert not writer.capture.has_changes(t)
    writer.update(t, {"id": 1}, {"a": 11})
    assert writer.capture.has_changes(t)
    writer.update(t, {"id": 1}, {"a": 10})
    assert not writer.capture.has_changes(t)  # logged, but cancelled out
    writer.delete(t, {"id": 2})
    writer.insert(t, {"id": 2, "a": 20, "b": None})
    assert not writer.capture.has_changes(t)
    writer.insert(t, {"id": 8, "a": 80, "b": None})
    assert writer.capture.has_changes(t)
    k = writer.create("k", ["x"], [])
    writer.insert(k, {"x": 1})
    writer.capture.track(k)
    assert not writer.capture.has_changes(k)
    writer.insert(k, {"x": 1})
    assert writer.capture.has_changes(k)  # a second copy of the same row
    writer.delete(k, {"x": 1})
    assert writer.capture.has_changes(k)  # both copies gone


def test_has_changes_looks_past_keys_whose_changes_cancel(writer: Writer) -> None:
    # More cancelled-out entries than the engine's first sample of keys, then one change.
    u = writer.create("u", ["id", "a"], ["id"])
    writer.insert(u, *({"id": i, "a": 0} for i in range(1, 301)))
    writer.capture.track(u)
    for i in range(1, 151):
        writer.update(u, {"id": i}, {"a": 1})
        writer.update(u, {"id": i}, {"a": 0})
    assert not writer.capture.has_changes(u)
    writer.update(u, {"id": 300}, {"a": 3})
    assert writer.capture.has_changes(u)
    writer.update(u, {"id": 300}, {"a": 0})
    writer.update(u, {"id": 1}, {"a": 9})  # a sampled key, changed again later
    assert writer.capture.has_changes(u)


def test_truncate_and_reinsert(writer: Writer, t: TableRef) -> None:
    writer.update(t, {"id": 1}, {"a": 0})
    writer.truncate(t)
    writer.insert(t, {"id": 2, "a": 20, "b": None}, {"id": 6, "a": 60, "b": None})
    assert [(s.key, s.before, s.after) for s in writer.capture.read(t).states] == [
        ((1,), 1, 0),
        ((3,), 1, 0),
        ((4,), 1, 0),
        ((5,), 1, 0),
        ((6,), 0, 1),
    ]


def test_whole_row_keys_count_copies(writer: Writer) -> None:
    k = writer.create("k", ["x", "y"], [])
    writer.insert(k, {"x": 1, "y": None}, {"x": 1, "y": None}, {"x": 2, "y": 2})
    writer.capture.track(k)
    writer.insert(k, {"x": 1, "y": None}, {"x": 3, "y": 3})
    writer.update(k, {"x": 1}, {"y": 5})
    writer.update(k, {"x": 2}, {"y": 2})
    writer.delete(k, {"x": 3})
    assert writer.capture.read(k).states == [
        KeyState((1, 5), 0, 3, {"x": 1, "y": 5}),
        KeyState((1, None), 3, 1, {"x": 1, "y": None}),
    ]
    assert writer.capture.count(k) == (3, 2, 0)


def test_tracked_tables_untrack_and_drop(writer: Writer, t: TableRef) -> None:
    u = writer.create("u", ["id"], ["id"])
    writer.capture.track(u)
    writer.capture.track(u)
    assert writer.capture.tracked() == [t, u]
    writer.insert(u, {"id": 1})
    writer.capture.untrack(u)
    writer.capture.untrack(u)
    assert writer.capture.tracked() == [t]
    with pytest.raises(TableNotTrackedError):
        writer.capture.read(u)
    writer.drop(t)
    assert writer.capture.tracked() == []
    with pytest.raises(TableNotFoundError):
        writer.capture.track(t)


def test_discard_all_or_through_a_watermark(writer: Writer, t: TableRef) -> None:
    writer.update(t, {"id": 1}, {"a": 0})
    read = writer.capture.read(t)
    writer.update(t, {"id": 2}, {"a": 0})
    writer.capture.discard(t, read.watermark)
    assert [s.key for s in writer.capture.read(t).states] == [(2,)]
    writer.capture.discard(t)
    assert writer.capture.read(t).states == []
    with pytest.raises(TableNotTrackedError):
        writer.capture.discard(TableRef("public", "nope"))


def test_stage_keeps_the_keys_read_reports(writer: Writer, t: TableRef) -> None:
    writer.update(t, {"id": 1}, {"a": 0})
    writer.update(t, {"id": 3}, {"id": 7})
    writer.delete(t, {"id": 4})
    writer.update(t, {"id": 2}, {"a": 0})
    writer.update(t, {"id": 2}, {"a": 20})
    staged = writer.capture.stage(t)
    assert staged.keys.size == 4
    assert writer.staged(staged.keys) == [((1,), True), ((3,), False), ((4,), False), ((7,), True)]
    writer.update(t, {"id": 5}, {"a": 0})
    writer.capture.discard(t, staged.watermark)
    writer.capture.release(staged.keys)
    assert [s.key for s in writer.capture.read(t).states] == [(5,)]


def test_stage_spells_keys_in_key_order(writer: Writer) -> None:
    k = writer.create("ko", ["a", "b", "v"], ["b", "a"])
    writer.insert(k, {"a": 1, "b": 2, "v": 0}, {"a": 2, "b": 1, "v": 0})
    writer.capture.track(k)
    writer.update(k, {"a": 1}, {"v": 5})
    staged = writer.capture.stage(k)
    assert writer.staged(staged.keys) == [((2, 1), True)]
    assert [s.key for s in writer.capture.read(k).states] == [(2, 1)]


def test_stage_whole_rows_once_per_value(writer: Writer) -> None:
    k = writer.create("k", ["x", "y"], [])
    writer.insert(k, {"x": 1, "y": None}, {"x": 1, "y": None}, {"x": 2, "y": 2})
    writer.capture.track(k)
    writer.insert(k, {"x": 1, "y": None}, {"x": 1, "y": None})
    writer.delete(k, {"x": 2})
    staged = writer.capture.stage(k)
    assert staged.keys.size == 2
    assert writer.staged(staged.keys) == [((1, None), True), ((2, 2), False)]


def test_stage_without_changes_keeps_nothing(writer: Writer, t: TableRef) -> None:
    writer.update(t, {"id": 1}, {"a": 0})
    writer.update(t, {"id": 1}, {"a": 10})
    staged = writer.capture.stage(t)
    assert staged.keys.size == 0
    assert writer.staged(staged.keys) == []
    with pytest.raises(TableNotTrackedError):
        writer.capture.stage(TableRef("public", "nope"))
