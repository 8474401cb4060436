"""The composition root: facades use whatever adapters the container provides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dependency_injector import providers

from sg import (
    ConfigurationError,
    PostgresEngine,
    PsycopgEngine,
    ResultShape,
    SqlSyntaxError,
    container,
)
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.app.container import engine_graph
from sg.domain.engine_params import EngineParams
from sg.domain.model import TableRef
from sg.ports.sql import SqlRunner
from tests.fakes.bundle import FakePorts
from tests.fakes.sql import FakeSqlRunner

PARAMS = {
    "SG_ENGINE_HOST": "db.invalid",
    "SG_ENGINE_PORT": "5432",
    "SG_ENGINE_USER": "u",
    "SG_ENGINE_PWD": "hunter2-secret",
    "SG_ENGINE_DB_NAME": "d",
}


@pytest.fixture
def fake_runners() -> Iterator[list[FakeSqlRunner]]:
    built: list[FakeSqlRunner] = []

    def build(params: EngineParams, name: str) -> FakeSqlRunner:
        runner = FakeSqlRunner(params, name)
        runner.answers["SELECT n FROM t"] = [(1,), (2,)]
        built.append(runner)
        return runner

    runner = providers.Singleton[SqlRunner](build, container.params, container.name)
    with container.sql_runner.override(runner):
        yield built


def test_engine_runs_sql_through_the_overridden_adapter(fake_runners: list[FakeSqlRunner]) -> None:
    engine = PsycopgEngine(PARAMS, "unit")
    assert engine.run_sql("SELECT n FROM t", return_shape=ResultShape.MANY_ONE) == [1, 2]
    assert engine.run_sql("SELECT n FROM t", return_shape=ResultShape.ONE_ONE) == 1
    engine.run_sql("INSERT INTO t VALUES (%s)", [3])
    engine.rollback()
    engine.run_sql("INSERT INTO t VALUES (%s)", [4])
    engine.close()
    (runner,) = fake_runners
    assert runner.committed == [("INSERT INTO t VALUES (%s)", [4])]
    assert runner.closed
    assert runner.name == "unit"


def test_every_service_of_an_engine_shares_its_one_session(
    fake_runners: list[FakeSqlRunner],
) -> None:
    engine = PostgresEngine(PARAMS, "full")
    other = PostgresEngine(PARAMS, "other")
    assert [r.name for r in fake_runners] == ["full", "other"]
    assert engine.run_sql("SELECT n FROM t", return_shape=ResultShape.ONE_ONE) == 1
    assert fake_runners[0].pending and not fake_runners[1].pending
    assert engine.objects is engine.objects and engine.versions is engine.versions
    assert engine.objects is not other.objects


def test_overriding_one_adapter_rebuilds_the_services_around_it() -> None:
    with FakePorts().installed() as fakes:
        engine = PostgresEngine(PARAMS, "unit")
        fakes.capture.create_table(TableRef("s", "t"), ["id"], key=["id"])
        engine.track_tables([("s", "t")])
        fakes.capture.insert(TableRef("s", "t"), {"id": 1})
        assert engine.get_pending_changes("s", "t", aggregate=True) == (1, 0, 0)
    assert not isinstance(PostgresEngine(PARAMS, "real")._sql, FakeSqlRunner)


def test_a_fake_session_has_no_driver_connection(fake_runners: list[FakeSqlRunner]) -> None:
    with pytest.raises(ConfigurationError, match="psycopg"):
        _ = PsycopgEngine(PARAMS, "unit").connection


def test_errors_from_the_adapter_reach_the_caller(fake_runners: list[FakeSqlRunner]) -> None:
    engine = PsycopgEngine(PARAMS, "unit")
    with pytest.raises(SqlSyntaxError):
        engine.run_sql("SELEC 1")


def test_override_is_undone_after_the_block() -> None:
    params = EngineParams.from_mapping(PARAMS)
    fake = providers.Singleton[SqlRunner](FakeSqlRunner, container.params, container.name)
    with container.sql_runner.override(fake):
        assert isinstance(engine_graph(container, params, "x").sql_runner(), FakeSqlRunner)
    assert isinstance(engine_graph(container, params, "x").sql_runner(), PostgresSession)


def test_facade_hierarchy_matches_the_reference() -> None:
    from sg import AuditTriggerChangeEngine

    assert issubclass(PostgresEngine, AuditTriggerChangeEngine)
    assert issubclass(AuditTriggerChangeEngine, PsycopgEngine)
