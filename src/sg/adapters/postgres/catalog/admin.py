"""Create and drop whole databases through the engine's admin connection."""

from __future__ import annotations

import psycopg
from psycopg import sql

from sg.adapters.postgres.session.connection import Connection, connect_admin
from sg.adapters.postgres.session.errors import translate_error
from sg.domain.engine_params import EngineParams


class PostgresDatabaseAdmin:
    """The database-admin port over an autocommit connection to the admin database."""

    def __init__(self, params: EngineParams) -> None:
        self._params = params

    def database_exists(self, name: str) -> bool:
        """True when database `name` exists."""
        with connect_admin(self._params) as conn:
            try:
                return _exists(conn, name)
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    def ensure_database(self, name: str) -> bool:
        """Create database `name` unless it exists; True when it was created."""
        with connect_admin(self._params) as conn:
            try:
                if _exists(conn, name):
                    return False
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                return True
            except psycopg.errors.DuplicateDatabase:
                return False  # created concurrently by someone else: the goal is reached
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    def drop_database(self, name: str) -> None:
        """Drop database `name`, closing other sessions on it; missing is not an error."""
        with connect_admin(self._params) as conn:
            try:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    def _error(self, exc: psycopg.Error) -> Exception:
        return translate_error(exc, (self._params.password, self._params.admin_password))


def _exists(conn: Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) %s", [name]
    ).fetchone()
    return found is not None
