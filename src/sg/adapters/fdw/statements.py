"""Statements that set up and tear down a temporary postgres_fdw path to a source engine."""

from __future__ import annotations

from psycopg import sql

from sg.adapters.fdw.credential import TransferLogin
from sg.adapters.postgres.objects.copy_stream import COPY_OUT_SETTINGS
from sg.domain.engine_params import EngineParams
from sg.domain.model import TableRef

WRAPPER = "postgres_fdw"
APPLICATION_NAME = "sg:transfer"
CONNECT_TIMEOUT_SECONDS = 5
# Source sessions read object tables in their canonical row order (see COPY_OUT_SETTINGS).
_SESSION_OPTIONS = " ".join(f"-c {name}={value}" for name, value in COPY_OUT_SETTINGS.items())


def server_options(source: EngineParams, fetch_size: int) -> dict[str, str]:
    """libpq and postgres_fdw options for a server that reaches `source` as another server
    sees it (`SG_ENGINE_FDW_HOST`/`PORT`, else its host and port)."""
    return {
        "host": source.fdw_host or source.host,
        "port": str(source.fdw_port or source.port),
        "dbname": source.dbname,
        "fetch_size": str(fetch_size),
        "connect_timeout": str(CONNECT_TIMEOUT_SECONDS),
        "application_name": APPLICATION_NAME,
        "options": _SESSION_OPTIONS,
    }


def create_server(name: str, options: dict[str, str]) -> sql.Composed:
    """`CREATE SERVER name FOREIGN DATA WRAPPER postgres_fdw OPTIONS (...)`."""
    return sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER {} OPTIONS ({})").format(
        sql.Identifier(name), sql.Identifier(WRAPPER), _options(options)
    )


def create_user_mapping(name: str, login: TransferLogin) -> sql.Composed:
    """The current role's mapping to the source as the transfer's short-lived `login`."""
    options = {"user": login.user, "password": login.password}
    return sql.SQL("CREATE USER MAPPING FOR CURRENT_USER SERVER {} OPTIONS ({})").format(
        sql.Identifier(name), _options(options)
    )


# The user mapping's statement carries a password: only the transfer's own, worthless once
# the transfer ends, but superusers (the only roles allowed to) keep it out of the server
# log and pg_stat_statements as well; the previous values come back right after.
QUIET_SETTINGS = {
    "log_statement": "none",
    "log_min_error_statement": "panic",
    "log_min_duration_statement": "-1",
    "pg_stat_statements.track_utility": "off",
}
QUIETABLE = sql.SQL(
    "SELECT u.n FROM pg_catalog.unnest(%s::pg_catalog.text[]) AS u(n)"
    " WHERE pg_catalog.current_setting(u.n, true) IS NOT NULL AND (SELECT r.rolsuper"
    " FROM pg_catalog.pg_roles AS r WHERE r.rolname = pg_catalog.current_user())"
)


def import_table(table: TableRef, schema: str) -> sql.Composed:
    """Import the foreign table for `table` only into `schema`; collations stay local."""
    return sql.SQL(
        "IMPORT FOREIGN SCHEMA {} LIMIT TO ({}) FROM SERVER {} INTO {} OPTIONS ({})"
    ).format(
        sql.Identifier(table.schema),
        sql.Identifier(table.table),
        sql.Identifier(schema),
        sql.Identifier(schema),
        _options({"import_collate": "false"}),
    )


def drop_server(name: str) -> sql.Composed:
    """Drop the server and, with it, its user mapping and anything else built on it."""
    return sql.SQL("DROP SERVER {} CASCADE").format(sql.Identifier(name))


def _options(options: dict[str, str]) -> sql.Composed:
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(key), sql.Literal(value))
        for key, value in options.items()
    )
