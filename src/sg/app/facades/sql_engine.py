"""`PsycopgEngine`: the reference API's SQL engine, a facade over the SQL and catalog ports."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any

from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.app.container import Container, engine_graph
from sg.app.container import container as default_container
from sg.domain.engine_params import EngineParams
from sg.domain.errors import ConfigurationError, EngineConnectionError
from sg.domain.model import ResultShape, TableRef
from sg.ports.sql import Arguments, ComposedSql, Statement


class PsycopgEngine:
    """A PostgreSQL engine reached through one lazily opened psycopg connection."""

    def __init__(
        self,
        conn_params: Mapping[str, Any],
        name: str,
        *,
        container: Container | None = None,
    ) -> None:
        self.name = name
        self.params = EngineParams.from_mapping(conn_params)
        self._template = container or default_container
        self._graph = engine_graph(self._template, self.params, name)
        self._sql = self._graph.sql_runner()
        self._catalog = self._graph.catalog()

    @property
    def conn_params(self) -> dict[str, str]:
        """The `SG_ENGINE_*` parameters of this engine (the password included: keep it safe)."""
        return self.params.to_mapping()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.params.describe()!r})"

    @property
    def connection(self) -> Any:
        """The engine's psycopg connection (opened now if needed), under the user's settings."""
        if not isinstance(self._sql, PostgresSession):
            raise ConfigurationError(f"engine {self.name} is not backed by a psycopg connection")
        with self._sql.user_session():
            return self._sql.native_connection()

    def run_sql(
        self,
        statement: Statement,
        arguments: Arguments | None = None,
        return_shape: ResultShape = ResultShape.MANY_MANY,
    ) -> Any:
        """Run one statement; return its result shaped by `return_shape`, or None."""
        with self._sql.user_session():
            return self._sql.run(statement, arguments, ResultShape(return_shape))

    def run_sql_batch(
        self, statement: Statement, arguments: Sequence[Arguments], schema: str | None = None
    ) -> None:
        """Run a statement for every argument set in few round trips, optionally in `schema`."""
        with self._sql.user_session():
            self._sql.run_batch(statement, arguments, schema)

    def savepoint(self) -> AbstractContextManager[None]:
        """A savepoint block: errors inside roll back to it; the outer transaction goes on."""
        return self._sql.savepoint()

    def commit(self) -> None:
        """Commit the engine's backing connection."""
        self._sql.commit()

    def rollback(self) -> None:
        """Roll back the engine's backing connection."""
        self._sql.rollback()

    def close(self) -> None:
        """Commit and close the engine's backing connection."""
        self._sql.close()

    def __enter__(self) -> PsycopgEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is not None:
            self.rollback()
        self.close()

    def get_primary_keys(self, schema: str, table: str) -> list[tuple[str, str]]:
        """`[(column, type)]` of the table's primary key in key order; `[]` when none."""
        return self._catalog.primary_keys(TableRef(schema, table))

    def get_table_size(self, schema: str, table: str) -> int:
        """The table's disk usage in bytes (indexes and TOAST included)."""
        return self._catalog.table_size(TableRef(schema, table))

    def lock_table(self, schema: str, table: str) -> None:
        """Lock the table in EXCLUSIVE mode until the transaction commits or rolls back."""
        self._catalog.lock_table(TableRef(schema, table))

    def create_schema(self, schema: str) -> None:
        """Create `schema` unless it exists (in the engine's transaction)."""
        self._catalog.create_schema(schema)

    def table_exists(self, schema: str, table: str) -> bool:
        """True when the table exists."""
        return self._catalog.table_exists(TableRef(schema, table))

    def dump_table_sql(
        self,
        schema: str,
        table_name: str,
        stream: IO[str] | IO[bytes],
        columns: str | Sequence[str] | ComposedSql = "*",
        where: str | ComposedSql = "",
        where_args: Sequence[Any] | None = None,
    ) -> None:
        """Write INSERT statements recreating the selected rows; the script loads with psql."""
        self._graph.table_sql_dumper().dump(
            TableRef(schema, table_name), stream, columns, where, where_args
        )

    def initialize(self) -> None:
        """Create the database if missing, then sg's schemas, tables and functions; idempotent."""
        self._graph.database_admin().ensure_database(self.params.dbname)
        self._graph.schema_installer().install()
        self._sql.commit()

    def is_initialized(self) -> bool:
        """True when the engine's database exists and holds sg's schemas."""
        try:
            # The engine's own connection first: the admin one costs a second login, and
            # is needed only to tell a missing database from an unreachable server.
            return self._graph.schema_installer().is_installed()
        except EngineConnectionError:
            if self._graph.database_admin().database_exists(self.params.dbname):
                raise
            return False

    def delete_database(self, database: str) -> None:
        """Drop `database` through the admin connection (this engine's own connection first)."""
        if database == self.params.dbname:
            self._sql.close()
        self._graph.database_admin().drop_database(database)

    def iter_rows(
        self, statement: Statement, arguments: Arguments | None = None, batch_rows: int = 10_000
    ) -> Iterator[tuple[Any, ...]]:
        """Stream a query's rows through a server-side cursor in bounded memory."""
        rows = self._sql.stream(statement, arguments, batch_rows)
        with self._sql.user_session():
            # The query starts (under the user's settings) when its first row is asked for.
            first = next(rows, None)
        return iter(()) if first is None else itertools.chain([first], rows)
