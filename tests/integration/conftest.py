"""Fixtures that provision real PostgreSQL servers and fresh databases on them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg import PsycopgEngine
from tests.support.engines import EngineFactory
from tests.support.servers import TestServer, provision_servers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def servers() -> Iterator[list[TestServer]]:
    """Two independent servers, stopped and removed when the session ends."""
    provisioned = provision_servers(2)
    try:
        yield provisioned
    finally:
        for server in provisioned:
            server.stop()


@pytest.fixture(scope="session")
def server(servers: list[TestServer]) -> TestServer:
    """The first server."""
    return servers[0]


@pytest.fixture(scope="session")
def remote_server(servers: list[TestServer]) -> TestServer:
    """The second server, for tests that move data between engines."""
    return servers[1]


@pytest.fixture
def db_params(server: TestServer) -> Iterator[dict[str, str]]:
    """Engine parameters for a fresh database, dropped after the test."""
    name = server.create_database()
    try:
        yield server.params(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def make_engine(server: TestServer) -> Iterator[EngineFactory]:
    """A factory of engines on fresh databases, dropped after the test."""
    factory = EngineFactory(server)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def engine(db_params: dict[str, str]) -> Iterator[PsycopgEngine]:
    """A `PsycopgEngine` on a fresh database (not initialized)."""
    eng = PsycopgEngine(db_params, "test")
    try:
        yield eng
    finally:
        eng.rollback()
        eng.close()
