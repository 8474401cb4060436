"""The facades' transfer methods and the transport choice, wired through the container."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dependency_injector import providers

from sg import (
    ConfigurationError,
    EngineConnectionError,
    PostgresEngine,
    RemoteEngineError,
    container,
)
from sg.adapters.fdw.transport import FdwTransport
from sg.adapters.postgres.transfer.copy_transport import CopyStreamTransport
from sg.app.container import engine_graph, transfer_graph
from sg.domain.engine_params import EngineParams
from sg.domain.model import ColumnSpec, TableRef
from sg.ports.fragments import FragmentStore
from sg.ports.progress import SilentProgress
from sg.ports.registry import ObjectRegistry
from sg.ports.sql import SqlRunner
from sg.ports.transport import ObjectTransport, TransferRoute
from tests.fakes.bundle import FakePorts
from tests.fakes.database import FakeDatabase
from tests.fakes.fragments import FakeFragmentStore
from tests.fakes.progress import RecordingProgress
from tests.fakes.registry import FakeObjectRegistry
from tests.fakes.sql import FakeSqlRunner
from tests.fakes.transport import FakeTransport

SECRET = "hunter2-transfer-secret"


def params(host: str) -> dict[str, str]:
    return {
        "SG_ENGINE_HOST": host,
        "SG_ENGINE_PORT": "5432",
        "SG_ENGINE_USER": "u",
        "SG_ENGINE_PWD": SECRET,
        "SG_ENGINE_DB_NAME": "d",
    }


def route() -> TransferRoute:
    source = EngineParams.from_mapping(params("a.invalid"))
    destination = EngineParams.from_mapping(params("b.invalid"))
    return TransferRoute(
        FakeSqlRunner(source, "a"), source, FakeSqlRunner(destination, "b"), destination
    )


def transport_between(first: str, second: str) -> ObjectTransport:
    """The transport the container builds for a transfer between two engine graphs."""
    ends = [
        engine_graph(container, EngineParams.from_mapping(params(f"{n}.invalid")), n)
        for n in (first, second)
    ]
    return transfer_graph(container, *ends).object_transport()


def test_the_copy_pipe_is_the_default_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SG_TRANSPORT", raising=False)
    assert isinstance(transport_between("a", "b"), CopyStreamTransport)
    monkeypatch.setenv("SG_TRANSPORT", "fdw")
    assert isinstance(transport_between("a", "b"), FdwTransport)
    monkeypatch.setenv("SG_TRANSPORT", "Copy ")
    assert isinstance(transport_between("a", "b"), CopyStreamTransport)


def test_an_unknown_transport_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SG_TRANSPORT", "carrier-pigeon")
    with pytest.raises(ConfigurationError, match="carrier-pigeon"):
        transport_between("a", "b")


def test_transports_keep_passwords_out_of_repr() -> None:
    for transport in (CopyStreamTransport(route()), FdwTransport(route())):
        assert SECRET not in repr(transport)
        assert "a.invalid" in repr(transport)
    assert SECRET not in repr(route())


def test_silent_progress_accepts_every_call() -> None:
    progress = SilentProgress()
    progress.started(2, 10)
    progress.advanced(1, 5)
    progress.finished()


class Databases:
    """One fake database per engine, found by the name of the engine's runner."""

    def __init__(self) -> None:
        self.by_name: dict[str, FakeDatabase] = {}
        self.unreachable: set[str] = set()

    def runner(self, engine_params: EngineParams, name: str) -> FakeSqlRunner:
        self.by_name.setdefault(name, FakeDatabase())
        runner = UnreachableRunner(engine_params, name)
        runner.unreachable = name in self.unreachable
        return runner

    def of(self, runner: Any) -> FakeDatabase:
        return self.by_name[runner.name]


class UnreachableRunner(FakeSqlRunner):
    unreachable = False

    def connect(self) -> None:
        if self.unreachable:
            raise EngineConnectionError(f"cannot connect to u@{self.params.host}:5432/d: refused")
        super().connect()


@pytest.fixture
def databases() -> Iterator[Databases]:
    dbs = Databases()

    def transport(r: TransferRoute) -> FakeTransport:
        return FakeTransport(dbs.of(r.source), dbs.of(r.destination))

    with (
        container.sql_runner.override(
            providers.Singleton[SqlRunner](dbs.runner, container.params, container.name)
        ),
        container.object_registry.override(
            providers.Singleton[ObjectRegistry](
                lambda r: FakeObjectRegistry(dbs.of(r)), container.sql_runner
            )
        ),
        container.fragment_store.override(
            providers.Singleton[FragmentStore](
                lambda r: FakeFragmentStore(dbs.of(r)), container.sql_runner
            )
        ),
        container.object_transport.override(
            providers.Factory[ObjectTransport](transport, container.transfer_route)
        ),
    ):
        yield dbs


def snapshot(db: FakeDatabase, *ids: int) -> str:
    table = TableRef("public", f"t{len(db.tables)}")
    db.add_table(table, [ColumnSpec(1, "id", "integer", True)], [(i,) for i in ids])
    return str(FakePorts(db).object_service().snapshot(table))


def test_download_and_upload_go_through_the_container(databases: Databases) -> None:
    local = PostgresEngine(params("local.invalid"), "local")
    remote = PostgresEngine(params("remote.invalid"), "remote")
    object_id = snapshot(databases.by_name["remote"], 1, 2)
    progress = RecordingProgress()
    assert local.download_objects([object_id], remote, progress=progress) == [object_id]
    assert object_id in databases.by_name["local"].registry
    assert progress.events[0] == ("started", 1, 2)
    assert local.download_objects([object_id], remote) == []
    mine = snapshot(databases.by_name["local"], 3)
    assert local.upload_objects([mine, object_id], remote) == [mine]
    assert mine in databases.by_name["remote"].registry


def test_an_unreachable_remote_is_a_remote_engine_error(databases: Databases) -> None:
    databases.unreachable.add("gone")
    local = PostgresEngine(params("local.invalid"), "local")
    gone = PostgresEngine(params("gone.invalid"), "gone")
    for move in (local.upload_objects, local.download_objects):
        with pytest.raises(RemoteEngineError, match="gone") as raised:
            move(["o" + "0" * 62], gone)
        assert raised.value.__cause__ is None and raised.value.__context__ is None
        assert SECRET not in str(raised.value)
