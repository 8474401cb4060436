"""Statements that set up and tear down a temporary postgres_fdw path to a source engine."""

from __future__ import annotations

from psycopg import sql

from sg.domain.engine_params import EngineParams
from sg.domain.model import TableRef

WRAPPER = "postgres_fdw"
APPLICATION_NAME = "sg:transfer"
CONNECT_TIMEOUT_SECONDS = 5
# Source sessions: a synchronized seq scan could start mid-table and spoil the canonical
# row order the object tables keep.
_SESSION_OPTIONS = "-c synchronize_seqscans=off"


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


def create_user_mapping(name: str, source: EngineParams) -> sql.Composed:
    """The current role's mapping to the source's user (and password, if it has one)."""
    options = {"user": source.user}
    if source.password is not None:
        options["password"] = source.password
    return sql.SQL("CREATE USER MAPPING FOR CURRENT_USER SERVER {} OPTIONS ({})").format(
        sql.Identifier(name), _options(options)
    )


# The user mapping's statement carries the source's password. Superusers (the only roles
# allowed to) keep it out of the server log; the previous values come back right after.
QUIET_SETTINGS = {
    "log_statement": "none",
    "log_min_error_statement": "panic",
    "log_min_duration_statement": "-1",
}
READ_SETTINGS = sql.SQL(
    "SELECT n, current_setting(n) FROM unnest(%s::text[]) AS u(n)"
    " WHERE (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)"
)
SET_LOCALLY = sql.SQL(
    "SELECT count(set_config(n, v, true)) FROM unnest(%s::text[], %s::text[]) AS u(n, v)"
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
