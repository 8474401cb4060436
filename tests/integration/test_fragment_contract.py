"""One contract for the fragment store, registry and codec: the fakes and PostgreSQL alike."""

from __future__ import annotations

import io
import operator
from collections.abc import Iterator
from typing import Any, Protocol

import pytest
from psycopg import sql

from sg import PsycopgEngine
from sg.adapters.postgres.copy_codec import CopyObjectCodec
from sg.adapters.postgres.fragments import PostgresFragmentStore
from sg.adapters.postgres.registry import PostgresObjectRegistry
from sg.adapters.postgres.sql_runner import PsycopgSqlRunner
from sg.domain.engine_params import EngineParams
from sg.domain.errors import CorruptDumpError, DuplicateObjectError, TableNotFoundError
from sg.domain.model import ColumnSpec, ResultShape, TableRef
from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord
from sg.ports.codec import ObjectCodec
from sg.ports.fragments import FragmentStore
from sg.ports.registry import ObjectRegistry
from sg.ports.sql import ComposedSql
from sg.ports.transaction import Transaction
from tests.unit.object_fakes import (
    FakeDatabase,
    FakeFragmentStore,
    FakeObjectCodec,
    FakeObjectRegistry,
    FakeQuals,
    FakeTransaction,
    Row,
)

Column = tuple[str, str, bool]
KEYED: list[Column] = [("id", "integer", True), ("v", "text", False)]
UNKEYED: list[Column] = [("a", "integer", False), ("b", "text", False)]


class Harness(Protocol):
    store: FragmentStore
    registry: ObjectRegistry
    codec: ObjectCodec
    transaction: Transaction

    def create(self, table: TableRef, columns: list[Column], rows: list[Row]) -> None: ...

    def rows(self, table: TableRef) -> list[Row]: ...

    def greater_than(self, column: str) -> ComposedSql: ...


class FakeHarness:
    def __init__(self) -> None:
        self.db = FakeDatabase()
        self.store: FragmentStore = FakeFragmentStore(self.db)
        self.registry: ObjectRegistry = FakeObjectRegistry(self.db)
        self.codec: ObjectCodec = FakeObjectCodec(self.db)
        self.transaction: Transaction = FakeTransaction(self.db)

    def create(self, table: TableRef, columns: list[Column], rows: list[Row]) -> None:
        specs = [ColumnSpec(i, n, t, k) for i, (n, t, k) in enumerate(columns, start=1)]
        self.db.add_table(table, specs, rows)

    def rows(self, table: TableRef) -> list[Row]:
        return sorted(self.db.tables[table].rows, key=repr)

    def greater_than(self, column: str) -> ComposedSql:
        return FakeQuals(column, ">", operator.gt)


class PostgresHarness:
    def __init__(self, runner: PsycopgSqlRunner) -> None:
        self.runner = runner
        self.store: FragmentStore = PostgresFragmentStore(runner)
        self.registry: ObjectRegistry = PostgresObjectRegistry(runner)
        self.codec: ObjectCodec = CopyObjectCodec(runner, chunk_bytes=64)
        self.transaction: Transaction = runner

    def create(self, table: TableRef, columns: list[Column], rows: list[Row]) -> None:
        keys = [sql.Identifier(n) for n, _, k in columns if k]
        parts = [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t, _ in columns]
        if keys:
            parts.append(sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(keys)))
        self.runner.run(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(table.schema)),
            None,
            ResultShape.NONE,
        )
        self.runner.run(
            sql.SQL("CREATE TABLE {} ({})").format(
                sql.Identifier(*table), sql.SQL(", ").join(parts)
            ),
            None,
            ResultShape.NONE,
        )
        if rows:
            insert = sql.SQL("INSERT INTO {} VALUES ({})").format(
                sql.Identifier(*table), sql.SQL(", ").join(sql.Placeholder() * len(columns))
            )
            self.runner.run_batch(insert, rows, None)

    def rows(self, table: TableRef) -> list[Row]:
        found = self.runner.run(
            sql.SQL("SELECT * FROM {}").format(sql.Identifier(*table)), None, ResultShape.MANY_MANY
        )
        return sorted((tuple(r) for r in found), key=repr)

    def greater_than(self, column: str) -> ComposedSql:
        return sql.SQL("{} > %s").format(sql.Identifier(column))


@pytest.fixture(params=["fake", "postgres"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "fake":
        yield FakeHarness()
        return
    params: dict[str, str] = request.getfixturevalue("db_params")
    with PsycopgEngine(params, "contract-init") as engine:
        engine.initialize()
    runner = PsycopgSqlRunner(EngineParams.from_mapping(params), "contract")
    try:
        yield PostgresHarness(runner)
    finally:
        runner.rollback()
        runner.close()


T = TableRef("public", "t")
U = TableRef("public", "u")


def test_columns_and_missing_tables(harness: Harness) -> None:
    harness.create(T, KEYED, [])
    assert [(c.name, c.type, c.is_pk) for c in harness.store.columns(T)] == KEYED
    with pytest.raises(TableNotFoundError):
        harness.store.columns(U)
    assert harness.store.missing([U, T, TableRef("nowhere", "t")]) == [U, TableRef("nowhere", "t")]


def test_keyed_fragment_holds_the_current_state_of_each_key(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b"), (3, None)])
    keys: list[tuple[Any, ...]] = [(1,), (3,), (4,), (1,), (2,)]
    info = harness.store.create_fragment(U, T, keys)
    assert (info.rows_upserted, info.rows_deleted) == (3, 1)
    assert [(c.name, c.type, c.is_pk) for c in info.columns] == [
        *KEYED,
        ("sg_ud_flag", "boolean", False),
    ]
    assert harness.rows(U) == [(1, "a", True), (2, "b", True), (3, None, True), (4, None, False)]
    with pytest.raises(DuplicateObjectError), harness.transaction.savepoint():
        harness.store.create_fragment(U, T, keys)
    assert harness.rows(U)[0] == (1, "a", True)


def test_unkeyed_fragment_keeps_every_copy(harness: Harness) -> None:
    rows: list[Row] = [(1, None), (1, None), (2, "x"), (3, "y")]
    harness.create(T, UNKEYED, rows)
    info = harness.store.create_fragment(U, T, [(1, None), (9, None), (1, None)])
    assert (info.rows_upserted, info.rows_deleted) == (2, 2)
    assert harness.rows(U) == [(1, None, False), (1, None, True), (1, None, True), (9, None, False)]


def test_digests_ignore_order_and_count_copies(harness: Harness) -> None:
    harness.create(T, UNKEYED, [(1, "a"), (2, None), (2, None)])
    harness.create(U, UNKEYED, [(2, None), (1, "a"), (2, None)])
    harness.create(TableRef("public", "fewer"), UNKEYED, [(1, "a"), (2, None)])
    harness.create(TableRef("public", "other"), UNKEYED, [(1, "a"), (2, ""), (2, None)])
    digests = [
        harness.store.content_digest(TableRef("public", name))
        for name in ["t", "u", "fewer", "other"]
    ]
    assert digests[0] == digests[1] and digests[0].rows == 3
    assert len({d.digest for d in digests}) == 3


def test_apply_equals_applying_one_fragment_at_a_time(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b"), (3, "c")])
    harness.store.create_snapshot(TableRef("public", "f0"), T)
    harness.create(TableRef("public", "f1"), [*KEYED, ("sg_ud_flag", "boolean", False)],
                   [(1, None, False), (2, "B", True), (5, "e", True)])  # fmt: skip
    harness.create(TableRef("public", "f2"), [*KEYED, ("sg_ud_flag", "boolean", False)],
                   [(5, None, False), (1, "A", True), (6, "f", True)])  # fmt: skip
    frags = [TableRef("public", f) for f in ["f0", "f1", "f2"]]
    harness.create(U, KEYED, [(3, "old"), (7, "kept")])
    harness.store.apply(frags, U, None, None)
    assert harness.rows(U) == [(1, "A"), (2, "B"), (3, "c"), (6, "f"), (7, "kept")]
    target = TableRef("public", "filtered")
    harness.create(target, KEYED, [(1, "gone"), (9, "kept")])
    harness.store.apply(frags, target, harness.greater_than("id"), (2,))
    assert harness.rows(target) == [(3, "c"), (6, "f"), (9, "kept")]


def test_apply_unkeyed_keeps_multiplicity(harness: Harness) -> None:
    flagged = [*UNKEYED, ("sg_ud_flag", "boolean", False)]
    harness.create(TableRef("public", "f0"), flagged,
                   [(1, None, True), (1, None, True), (2, "x", True)])  # fmt: skip
    harness.create(TableRef("public", "f1"), flagged,
                   [(1, None, False), (1, None, True), (1, None, True), (1, None, True),
                    (2, "x", False), (3, None, True)])  # fmt: skip
    harness.create(U, UNKEYED, [(2, "x"), (2, "x"), (4, "w")])
    harness.store.apply([TableRef("public", "f0"), TableRef("public", "f1")], U, None, None)
    assert harness.rows(U) == [(1, None)] * 3 + [(3, None), (4, "w")]


def test_fragment_bookkeeping(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b")])
    harness.store.create_fragment(U, T, [(1,), (8,)])
    assert harness.store.flag_counts(U) == (1, 1)
    assert harness.store.table_size(U) > 0
    harness.store.block_writers(U)
    harness.store.rename(U, "renamed")
    assert harness.store.missing([U, TableRef("public", "renamed")]) == [U]
    with pytest.raises(DuplicateObjectError), harness.transaction.savepoint():
        harness.store.rename(TableRef("public", "renamed"), "t")
    harness.store.drop(TableRef("public", "renamed"))
    assert harness.store.missing([TableRef("public", "renamed")]) == [TableRef("public", "renamed")]


def test_create_table_takes_only_plain_type_names(harness: Harness) -> None:
    columns = [ColumnSpec(1, "id", "integer", True), ColumnSpec(2, 'v"; x', "text[]", False)]
    harness.store.create_table(U, columns, with_key=True)
    assert [(c.name, c.type, c.is_pk) for c in harness.store.columns(U)] == [
        ("id", "integer", True),
        ('v"; x', "text[]", False),
    ]
    with pytest.raises(CorruptDumpError):
        harness.store.create_table(T, [ColumnSpec(1, "id", "int); DROP TABLE u; --", False)], True)
    assert harness.store.missing([T, U]) == [T]


def test_registry(harness: Harness) -> None:
    ids = [ObjectId("o" + c * 62) for c in "b1a"]
    columns = (ColumnSpec(1, "id", "integer", True), ColumnSpec(2, "sg_ud_flag", "boolean", False))
    for object_id in ids:
        harness.registry.lock(object_id)
        harness.registry.add(ObjectRecord(object_id, columns, 3, 1, 8192))
    assert harness.registry.ids() == sorted(ids)
    record = harness.registry.get(ids[0])
    assert record is not None
    assert (record.columns, record.rows, record.size_bytes) == (columns, 4, 8192)
    assert harness.registry.get(ObjectId("o" + "c" * 62)) is None
    with pytest.raises(DuplicateObjectError):
        harness.registry.add(ObjectRecord(ids[0], columns, 0, 0, 0))


def test_codec_round_trip_proves_the_digest_from_the_stream(harness: Harness) -> None:
    harness.create(T, KEYED, [(i, f"value {i}" if i % 3 else None) for i in range(40, 0, -1)])
    obj = TableRef("public", "obj")
    info = harness.store.create_snapshot(obj, T)
    stream = io.BytesIO()
    assert harness.codec.write_body(obj, info.columns, stream) == 40
    stream.seek(0)
    reader = harness.codec.open_body(stream)
    harness.store.create_table(U, info.columns, with_key=False)
    loaded = reader.load_into(U, info.columns)
    assert loaded.rows == 40
    assert loaded.digest == harness.store.content_digest(obj).digest
    assert harness.rows(U) == harness.rows(obj)


def test_codec_refuses_bad_bodies(harness: Harness) -> None:
    harness.create(T, KEYED, [(1, "a"), (2, "b")])
    obj = TableRef("public", "obj")
    info = harness.store.create_snapshot(obj, T)
    stream = io.BytesIO()
    harness.codec.write_body(obj, info.columns, stream)
    body = stream.getvalue()
    with pytest.raises(CorruptDumpError):
        harness.codec.open_body(io.BytesIO(b"garbage" * 5))
    with pytest.raises(CorruptDumpError):
        harness.codec.open_body(io.BytesIO(body[:5]))
    reader = harness.codec.open_body(io.BytesIO(body[:-3]))
    harness.store.create_table(U, info.columns, with_key=False)
    with pytest.raises(CorruptDumpError):
        reader.load_into(U, info.columns)
