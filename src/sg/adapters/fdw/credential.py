"""A short-lived login on the source engine, made for one postgres_fdw transfer.

The destination's user mapping must carry a password, and the statement that creates it
can reach the destination's server log and `pg_stat_statements` (utility statements take
no parameters). So the mapping never holds the engine's own password: it holds the
password of a role made on the source for this transfer only, allowed to log in for a
few minutes and to read nothing but the one object table, and dropped when the transfer
ends, also on error. Whatever was logged is worthless afterwards. On the source, the
role's password is sent only as a SCRAM verifier computed here, never in clear.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from sg.adapters.postgres.session.connection import Connection, open_connection
from sg.adapters.postgres.session.errors import Refine, translated
from sg.domain.engine_params import EngineParams
from sg.domain.errors import SgError, TableNotFoundError, TransportUnavailableError
from sg.domain.model import TableRef

LIFETIME = "5 minutes"  # bounds the login only: a connection made in time lives on
_APPLICATION_NAME = "sg:transfer-credential"
# May we make roles, does the (committed) table exist, and when does the login expire.
_PREFLIGHT = (
    "SELECT r.rolsuper OR r.rolcreaterole,"
    " pg_catalog.to_regclass(%s::pg_catalog.text) IS NOT NULL,"
    " pg_catalog.to_char(pg_catalog.timezone('UTC', pg_catalog.now()"
    ' OPERATOR(pg_catalog.+) %s::pg_catalog.interval), \'YYYY-MM-DD"T"HH24:MI:SS"Z"\')'
    " FROM pg_catalog.pg_roles AS r WHERE r.rolname = pg_catalog.current_user()"
)


@dataclass(frozen=True)
class TransferLogin:
    """A role on the source and its password; the password never appears in `repr`."""

    user: str
    password: str = field(repr=False)


@contextlib.contextmanager
def transfer_login(source: EngineParams, table: TableRef, role: str) -> Iterator[TransferLogin]:
    """A login named `role` that may read only `table` on the source, for a few minutes,
    dropped on leaving. `TableNotFoundError` if the source has no committed `table`;
    `TransportUnavailableError` if the source's role may not create such a login."""
    conn = open_connection(
        source.host,
        source.port,
        source.user,
        source.password,
        source.dbname,
        autocommit=True,
        application_name=_APPLICATION_NAME,
    )
    with conn:
        login = _create(conn, source, table, role)
        try:
            yield login
        except BaseException:
            with contextlib.suppress(SgError):  # the first error is the one to report
                _drop(conn, source, table, login)
            raise
        _drop(conn, source, table, login)


def _create(conn: Connection, source: EngineParams, table: TableRef, role: str) -> TransferLogin:
    name = sql.Identifier(role)
    password = secrets.token_urlsafe(32)
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    with translated((source.password,), _refine(source, "create"), hide_cause=True):
        row = conn.execute(_PREFLIGHT, [sql.Identifier(*table).as_string(conn), LIFETIME])
        may_create_roles, table_exists, expiry = row.fetchone() or (False, False, None)
        if not may_create_roles:
            raise TransportUnavailableError(
                f"the fdw transport makes a short-lived login on the source engine for each"
                f" transfer, and {source.user!r} there may not create roles: grant it"
                " CREATEROLE, or set SG_TRANSPORT=copy"
            )
        if not table_exists:
            raise TableNotFoundError(
                f"the source engine has no committed table {table}: postgres_fdw"
                " sees only committed work, so commit on the source first",
                "42P01",
            )
        create = sql.SQL(
            "CREATE ROLE {} LOGIN NOSUPERUSER NOINHERIT NOCREATEDB NOCREATEROLE"
            " NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 1 PASSWORD {} VALID UNTIL {}"
        ).format(name, sql.Literal(verifier.decode()), sql.Literal(str(expiry)))
        grants = [sql.SQL("GRANT {} TO {}").format(p, name) for p in _privileges(table)]
        # One round trip; several statements in one query run as one transaction.
        conn.execute(sql.SQL("; ").join([create, *grants]))
    return TransferLogin(role, password)


def _drop(conn: Connection, source: EngineParams, table: TableRef, login: TransferLogin) -> None:
    name = sql.Identifier(login.user)
    revokes = [sql.SQL("REVOKE {} FROM {}").format(p, name) for p in _privileges(table)]
    with translated((source.password,), _refine(source, "drop"), hide_cause=True):
        conn.execute(sql.SQL("; ").join([*revokes, sql.SQL("DROP ROLE {}").format(name)]))


def _privileges(table: TableRef) -> list[sql.Composed]:
    """All the login may do: look into the object's schema and read the object's table."""
    return [
        sql.SQL("USAGE ON SCHEMA {}").format(sql.Identifier(table.schema)),
        sql.SQL("SELECT ON TABLE {}").format(sql.Identifier(*table)),
    ]


def _refine(source: EngineParams, action: str) -> Refine:
    """Lacking a privilege on the source means this transport cannot run there."""

    def refine(exc: psycopg.Error, error: SgError) -> SgError:
        if exc.sqlstate == "42501":
            return TransportUnavailableError(
                f"the fdw transport could not {action} its short-lived login on the source"
                f" engine {source.describe()}: {error}; grant its role the privilege, or set"
                " SG_TRANSPORT=copy"
            )
        return error

    return refine
