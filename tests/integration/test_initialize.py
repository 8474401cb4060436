"""initialize() and delete_database() through the admin connection."""

from __future__ import annotations

import uuid

from sg import PsycopgEngine, ResultShape
from tests.support.servers import TestServer


def _database_exists(server: TestServer, name: str) -> bool:
    with server.admin_connect() as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def test_initialize_creates_database_and_schemas_idempotently(server: TestServer) -> None:
    name = f"sg init {uuid.uuid4().hex[:8]} ü"
    engine = PsycopgEngine(server.params(name), "init")
    try:
        assert not _database_exists(server, name)
        engine.initialize()
        engine.initialize()
        assert _database_exists(server, name)
        schemas = engine.run_sql(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sg\\_%' ORDER BY 1",
            return_shape=ResultShape.MANY_ONE,
        )
        assert schemas == ["sg_audit", "sg_meta"]
        engine.delete_database(name)
        assert not _database_exists(server, name)
    finally:
        engine.close()
        server.drop_database(name)


def test_delete_database_of_another_database(engine: PsycopgEngine, server: TestServer) -> None:
    victim = server.create_database()
    assert _database_exists(server, victim)
    engine.delete_database(victim)
    assert not _database_exists(server, victim)
    engine.delete_database(victim)  # already gone: not an error
    assert engine.run_sql("SELECT 1", return_shape=ResultShape.ONE_ONE) == 1


def test_is_initialized_reads_without_touching_pending_work(server: TestServer) -> None:
    name = f"sg_isinit_{uuid.uuid4().hex[:8]}"
    engine = PsycopgEngine(server.params(name), "probe")
    try:
        assert engine.is_initialized() is False  # no database yet
        engine.initialize()
        engine.run_sql("CREATE TABLE pending (x int)")
        assert engine.is_initialized() is True
        assert engine.table_exists("public", "pending")  # the open transaction survived
    finally:
        engine.close()
        server.drop_database(name)
