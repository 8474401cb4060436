"""Create and drop whole databases through the engine's admin connection."""

from __future__ import annotations

from contextlib import AbstractContextManager

import psycopg
from psycopg import sql

from sg.adapters.postgres.session.connection import Connection, connect_admin
from sg.adapters.postgres.session.errors import translated
from sg.domain.engine_params import EngineParams


class PostgresDatabaseAdmin:
    """The database-admin port over an autocommit connection to the admin database."""

    def __init__(self, params: EngineParams) -> None:
        self._params = params

    def database_exists(self, name: str) -> bool:
        """True when database `name` exists."""
        with connect_admin(self._params) as conn, self._translated():
            return _exists(conn, name)

    def ensure_database(self, name: str) -> bool:
        """Create database `name` unless it exists; True when it was created."""
        with connect_admin(self._params) as conn, self._translated():
            if _exists(conn, name):
                return False
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                return False  # created concurrently by someone else: the goal is reached
            return True

    def drop_database(self, name: str) -> None:
        """Drop database `name`, closing other sessions on it; missing is not an error."""
        with connect_admin(self._params) as conn, self._translated():
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def _translated(self) -> AbstractContextManager[None]:
        return translated((self._params.password, self._params.admin_password))


def _exists(conn: Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) %s", [name]
    ).fetchone()
    return found is not None
