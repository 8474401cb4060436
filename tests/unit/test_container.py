"""The composition root: facades use whatever adapters the container provides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dependency_injector import providers

from sg import PostgresEngine, PsycopgEngine, ResultShape, SqlSyntaxError, container
from sg.ports.sql import SqlRunner
from tests.fakes.capture import FakeSqlRunner

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

    def build(params: object, name: str) -> FakeSqlRunner:
        runner = FakeSqlRunner(params, name)  # type: ignore[arg-type]
        runner.answers["SELECT n FROM t"] = [(1,), (2,)]
        built.append(runner)
        return runner

    with container.sql_runner.override(providers.Factory[SqlRunner](build)):
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


def test_every_facade_is_built_by_the_container(fake_runners: list[FakeSqlRunner]) -> None:
    engine = PostgresEngine(PARAMS, "full")
    assert engine.connection is fake_runners[0]


def test_errors_from_the_adapter_reach_the_caller(fake_runners: list[FakeSqlRunner]) -> None:
    engine = PsycopgEngine(PARAMS, "unit")
    with pytest.raises(SqlSyntaxError):
        engine.run_sql("SELEC 1")


def test_override_is_undone_after_the_block() -> None:
    with container.sql_runner.override(providers.Factory[SqlRunner](FakeSqlRunner)):
        assert isinstance(container.sql_runner(None, "x"), FakeSqlRunner)
    from sg.adapters.postgres.session.sql_runner import PsycopgSqlRunner
    from sg.domain.engine_params import EngineParams

    assert isinstance(
        container.sql_runner(EngineParams.from_mapping(PARAMS), "x"), PsycopgSqlRunner
    )


def test_facade_hierarchy_matches_the_reference() -> None:
    from sg import AuditTriggerChangeEngine

    assert issubclass(PostgresEngine, AuditTriggerChangeEngine)
    assert issubclass(AuditTriggerChangeEngine, PsycopgEngine)
