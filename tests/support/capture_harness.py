"""The harness the change-capture contract runs against: the in-memory fake and PostgreSQL.

Like every contract harness here (`contract_harness`, the transport contract's): a `Harness`
Protocol, a `FakeHarness` and a `PostgresHarness`, and a `harness` fixture over both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pytest
from psycopg import sql

from sg import PsycopgEngine
from sg.adapters.postgres.capture.change_capture import PostgresChangeCapture
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.domain.engine_params import EngineParams
from sg.domain.model import ResultShape, StagedKeys, TableRef
from sg.ports.capture import ChangeCapture
from tests.fakes.capture import FakeChangeCapture
from tests.support.engines import EngineFactory


class Harness(Protocol):
    """Creates and writes tables of one capture implementation."""

    capture: ChangeCapture

    def create(self, name: str, columns: list[str], key: list[str]) -> TableRef: ...
    def insert(self, table: TableRef, *rows: dict[str, Any]) -> None: ...
    def update(self, table: TableRef, where: dict[str, Any], values: dict[str, Any]) -> None: ...
    def delete(self, table: TableRef, where: dict[str, Any]) -> None: ...
    def truncate(self, table: TableRef) -> None: ...
    def drop(self, table: TableRef) -> None: ...
    def staged(self, keys: StagedKeys) -> list[tuple[tuple[Any, ...], bool]]: ...


class FakeHarness:
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


class PostgresHarness:
    """Writes with SQL through a runner on an initialized database (columns are all int)."""

    def __init__(self, params: dict[str, str]) -> None:
        self.runner = PostgresSession(EngineParams.from_mapping(params), "contract")
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


@pytest.fixture(params=["fake", "postgres"])
def harness(request: pytest.FixtureRequest, make_engine: EngineFactory) -> Iterator[Harness]:
    """The capture contract's subject: the in-memory fake, or PostgreSQL on a fresh database."""
    if request.param == "fake":
        yield FakeHarness()
        return
    engine = make_engine(PsycopgEngine)
    engine.initialize()
    real = PostgresHarness(engine.conn_params)
    try:
        yield real
    finally:
        real.runner.rollback()
        real.runner.close()
