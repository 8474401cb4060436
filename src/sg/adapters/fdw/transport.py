"""The transport port over postgres_fdw: the destination's server pulls rows from the source's.

Per object, inside the destination's transaction: a foreign server and user mapping built
from the source's parameters, a schema holding the object's foreign table (`IMPORT FOREIGN
SCHEMA ... LIMIT TO`), one `INSERT ... SELECT`, then all of it dropped again before the
caller commits. A rollback removes them too, so nothing outlives the transfer. The mapping
logs in as a short-lived role made on the source for this object only (`credential`), so
the engine's own password never reaches the destination.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from sg.adapters.fdw.credential import transfer_login
from sg.adapters.fdw.statements import (
    CONNECT_TIMEOUT_SECONDS,
    QUIET_SETTINGS,
    QUIETABLE,
    WRAPPER,
    create_server,
    create_user_mapping,
    drop_server,
    import_table,
    server_options,
)
from sg.adapters.postgres.session.errors import Refine
from sg.adapters.postgres.session.postgres_session import PostgresSession, session_of
from sg.adapters.postgres.session.session_settings import pinned_settings
from sg.domain.errors import (
    RemoteEngineError,
    SgError,
    TableNotFoundError,
    TransportUnavailableError,
)
from sg.domain.model import ColumnSpec, ResultShape, TableRef
from sg.domain.object_record import LoadedBody
from sg.ports.transport import RowsMoved, TransferRoute

# Rows per round trip of the foreign scan. On loopback (the transfer benchmark's
# --fetch-sizes, 1M rows, several runs) 100 to 100k rows per fetch timed the same within
# noise; over a real network each round trip costs latency, while a batch costs memory
# on both servers. 10k keeps round trips few and batches a few MiB.
FETCH_SIZE = 10_000
IMPORT_TIMEOUT_SECONDS = CONNECT_TIMEOUT_SECONDS + 2
_IMPORTED = (
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
    " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s)"
)
_HAS_WRAPPER = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_data_wrapper WHERE fdwname = %s)"


class FdwTransport:
    """Pulls an object's rows into the destination through a temporary postgres_fdw server."""

    def __init__(self, route: TransferRoute, fetch_size: int = FETCH_SIZE) -> None:
        self._route = route
        self._fetch_size = fetch_size

    def __repr__(self) -> str:
        source, destination = self._route.source_params, self._route.destination_params
        return f"FdwTransport({source.describe()!r} -> {destination.describe()!r})"

    def copy_rows(
        self, table: TableRef, columns: Sequence[ColumnSpec], on_rows: RowsMoved
    ) -> LoadedBody:
        """Pull the source's `table` into the destination's empty `table` over postgres_fdw."""
        destination = session_of(self._route.destination, "the postgres_fdw transport")
        if not destination.run(_HAS_WRAPPER, [WRAPPER], ResultShape.ONE_ONE):
            raise TransportUnavailableError(
                "postgres_fdw is not installed in the destination's database: initialize the engine"
                " as a role that may create extensions, or set SG_TRANSPORT=copy"
            )
        name = f"sg_transfer_{uuid.uuid4().hex}"
        names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
        server = create_server(name, server_options(self._route.source_params, self._fetch_size))
        schema = sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name))
        insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
            sql.Identifier(*table), names, names, sql.Identifier(name, table.table)
        )
        cleanup = [
            sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)),
            drop_server(name),
        ]
        # Within a savepoint: whatever fails, what was created is rolled back with it.
        with (
            transfer_login(self._route.source_params, table, name) as login,
            destination.savepoint(),
        ):
            secrets = (self._route.source_params.password,)
            with destination.cursor(self._refine(destination), secrets) as cursor:
                cursor.execute(server)
                _quietly(destination, cursor, create_user_mapping(name, login))
                cursor.execute(schema)
                self._import(destination, cursor, import_table(table, name))
                cursor.execute(_IMPORTED, [name, table.table])
                if not _first(cursor.fetchone()):
                    raise TableNotFoundError(
                        f"the source engine has no committed table {table}: postgres_fdw"
                        " sees only committed work, so commit on the source first",
                        "42P01",
                    )
                cursor.execute(insert)
                rows = int(cursor.rowcount)
                for statement in cleanup:
                    cursor.execute(statement)
        on_rows(rows)
        return LoadedBody(rows, None)

    def _import(
        self, session: PostgresSession, cursor: psycopg.Cursor[Any], statement: sql.Composed
    ) -> None:
        """Import the foreign table, which opens the connection to the source, within a bound.

        Some servers' postgres_fdw does not apply `connect_timeout` while a silent peer keeps
        the connection pending, so a local statement timeout bounds the wait as well.
        """
        timeout = {"statement_timeout": f"{IMPORT_TIMEOUT_SECONDS}s"}
        try:
            with pinned_settings(session, timeout, local=True):
                cursor.execute(statement)
        except psycopg.errors.QueryCanceled:
            source = self._route.source_params
            raise RemoteEngineError(
                f"the destination's server got no answer from the source engine"
                f" {source.describe()} at {source.fdw_host or source.host}:"
                f"{source.fdw_port or source.port} within {IMPORT_TIMEOUT_SECONDS} s"
                " (set SG_ENGINE_FDW_HOST/PORT to the address it sees)"
            ) from None

    def _refine(self, destination: PostgresSession) -> Refine:
        """Class 08 on a live connection: the destination's server could not reach the source."""
        source = self._route.source_params

        def refine(exc: psycopg.Error, error: SgError) -> SgError:
            if (exc.sqlstate or "").startswith("08") and not destination.broken:
                host = source.fdw_host or source.host
                port = source.fdw_port or source.port
                return RemoteEngineError(
                    f"the destination's server cannot reach the source engine"
                    f" {source.describe()} at {host}:{port} (set SG_ENGINE_FDW_HOST/PORT to"
                    f" the address it sees): {error}"
                )
            return error

        return refine


def _quietly(
    session: PostgresSession, cursor: psycopg.Cursor[Any], statement: sql.Composed
) -> None:
    """Run `statement` with server statement logging off, if this role may turn it off."""
    names = session.run(QUIETABLE, [list(QUIET_SETTINGS)], ResultShape.MANY_ONE)
    with pinned_settings(session, {n: QUIET_SETTINGS[n] for n in names}, local=True):
        cursor.execute(statement)


def _first(row: tuple[Any, ...] | None) -> Any:
    return row[0] if row else None
