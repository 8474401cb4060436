"""The harness that runs one contract suite against the in-memory fakes and PostgreSQL."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Protocol

import pytest
from psycopg import sql

from sg import PsycopgEngine
from sg.adapters.postgres.objects.copy_codec import CopyObjectCodec
from sg.adapters.postgres.objects.fragments import PostgresFragmentStore
from sg.adapters.postgres.objects.registry import PostgresObjectRegistry
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.domain.column_schema import FLAG_COLUMN
from sg.domain.engine_params import EngineParams
from sg.domain.model import ColumnSpec, ResultShape, RowFilter, StagedKeys, TableRef
from sg.ports.codec import ObjectCodec
from sg.ports.fragments import FragmentStore
from sg.ports.registry import ObjectRegistry
from sg.ports.transaction import Transaction
from tests.fakes.bundle import FakePorts
from tests.fakes.database import Row
from tests.fakes.fragments import FakeQuals

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

    def greater_than(self, column: str, value: object) -> RowFilter: ...

    def stage(self, source: TableRef, names: list[str], keys: list[tuple[Row, bool]]) -> StagedKeys:
        """Keys (with whether each has a row now) held in the engine, as a capture stages them."""
        ...


class FakeHarness:
    def __init__(self) -> None:
        fakes = FakePorts()
        self.db = fakes.db
        self.store: FragmentStore = fakes.store
        self.registry: ObjectRegistry = fakes.registry
        self.codec: ObjectCodec = fakes.codec
        self.transaction: Transaction = fakes.transaction

    def create(self, table: TableRef, columns: list[Column], rows: list[Row]) -> None:
        specs = [ColumnSpec(i, n, t, k) for i, (n, t, k) in enumerate(columns, start=1)]
        self.db.add_table(table, specs, rows)

    def rows(self, table: TableRef) -> list[Row]:
        return sorted(self.db.tables[table].rows, key=repr)

    def greater_than(self, column: str, value: object) -> RowFilter:
        return RowFilter(FakeQuals(column, ">", operator.gt), (value,))

    def stage(self, source: TableRef, names: list[str], keys: list[tuple[Row, bool]]) -> StagedKeys:
        return self.db.stage([key for key, _ in keys])


class PostgresHarness:
    def __init__(self, runner: PostgresSession) -> None:
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

    def greater_than(self, column: str, value: object) -> RowFilter:
        return RowFilter(sql.SQL("{} > %s").format(sql.Identifier(column)), (value,))

    def stage(self, source: TableRef, names: list[str], keys: list[tuple[Row, bool]]) -> StagedKeys:
        # The layout `change_staging` writes: the key columns as the source has them, the flag.
        staged = sql.Identifier("pg_temp", "sg_staged_contract")
        self.runner.run(
            sql.SQL(
                "CREATE TEMP TABLE {} AS SELECT {}, NULL::boolean AS {} FROM {} WITH NO DATA"
            ).format(
                staged,
                sql.SQL(", ").join(sql.Identifier("s", n) for n in names),
                sql.Identifier(FLAG_COLUMN),
                sql.SQL("{} AS s").format(sql.Identifier(*source)),
            ),
            None,
            ResultShape.NONE,
        )
        insert = sql.SQL("INSERT INTO {} VALUES ({})").format(
            staged, sql.SQL(", ").join(sql.Placeholder() * (len(names) + 1))
        )
        self.runner.run_batch(insert, [(*key, present) for key, present in keys], None)
        return StagedKeys("sg_staged_contract", len(keys))


@pytest.fixture(params=["fake", "postgres"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "fake":
        yield FakeHarness()
        return
    params: dict[str, str] = request.getfixturevalue("db_params")
    with PsycopgEngine(params, "contract-init") as engine:
        engine.initialize()
    runner = PostgresSession(EngineParams.from_mapping(params), "contract")
    try:
        yield PostgresHarness(runner)
    finally:
        runner.rollback()
        runner.close()
