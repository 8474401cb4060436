"""Engines for the integration tests: each on a fresh database, and a tracked one ready to write."""

from __future__ import annotations

from typing import TypeVar

from sg import AuditTriggerChangeEngine, PsycopgEngine
from sg.ports.sql import Statement
from tests.support.servers import TestServer

E = TypeVar("E", bound=PsycopgEngine)


class EngineFactory:
    """Builds engines of any facade class, each on its own fresh database, and cleans up."""

    def __init__(self, default: TestServer) -> None:
        self._default = default
        self._created: list[tuple[PsycopgEngine, TestServer, str]] = []

    def __call__(self, kind: type[E], on: TestServer | None = None) -> E:
        target = on or self._default
        name = target.create_database()
        engine = kind(target.params(name), f"test-{len(self._created)}")
        self._created.append((engine, target, name))
        return engine

    def cleanup(self) -> None:
        """Close every engine built and drop its database."""
        created, self._created = self._created, []
        for engine, target, name in created:
            try:
                engine.rollback()
                engine.close()
            finally:
                target.drop_database(name)


def tracked_engine(
    make_engine: EngineFactory,
    *statements: Statement,
    tables: tuple[tuple[str, str], ...] = (("public", "t"),),
) -> AuditTriggerChangeEngine:
    """An initialized engine that ran `statements`, then tracks `tables`; committed."""
    engine = make_engine(AuditTriggerChangeEngine)
    engine.initialize()
    for statement in statements:
        engine.run_sql(statement)
    engine.track_tables(tables)
    engine.commit()
    return engine
