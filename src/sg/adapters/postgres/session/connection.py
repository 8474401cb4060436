"""Open psycopg connections to an engine's server with sg's defaults."""

from __future__ import annotations

from typing import Any

import psycopg

from sg.adapters.postgres.session.errors import translate_error
from sg.domain.engine_params import EngineParams
from sg.domain.errors import EngineConnectionError

CONNECT_TIMEOUT_SECONDS = 5

Connection = psycopg.Connection[tuple[Any, ...]]


def make_conn(
    server: str, port: int | str, username: str, password: str | None, dbname: str
) -> Connection:
    """Open a connection (not autocommit) or raise `EngineConnectionError` within seconds."""
    return open_connection(server, int(port), username, password, dbname)


def open_connection(
    host: str,
    port: int,
    user: str,
    password: str | None,
    dbname: str,
    *,
    autocommit: bool = False,
    application_name: str = "sg",
    pinned_path: bool = False,
) -> Connection:
    """Connect with a bounded timeout; errors never carry the password. `pinned_path`: the
    session's search_path is `pg_catalog, pg_temp` (for connections only sg uses)."""
    extra: dict[str, Any] = {"options": "-c search_path=pg_catalog,pg_temp"} if pinned_path else {}
    try:
        return psycopg.connect(
            host=host,
            port=port,
            user=user,
            password=password,
            dbname=dbname,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name=application_name[:63],
            **extra,
        )
    except psycopg.Error as exc:
        error = translate_error(exc, (password,))
        message = f"cannot connect to {user}@{host}:{port}/{dbname}: {error}"
        # `from None`: the driver's own exception is not re-shown, so nothing can leak through it.
        raise EngineConnectionError(message) from None


def connect_engine(params: EngineParams, name: str) -> Connection:
    """The engine's own connection to its database."""
    return open_connection(
        params.host,
        params.port,
        params.user,
        params.password,
        params.dbname,
        application_name=f"sg:{name}",
    )


def connect_admin(params: EngineParams) -> Connection:
    """An autocommit connection to the admin database: as the admin user with the admin
    password when one is configured, else as the engine's own user and password."""
    if params.admin_user:
        user, password = params.admin_user, params.admin_password
    else:
        user, password = params.user, params.password
    return open_connection(
        params.host,
        params.port,
        user,
        password,
        params.admin_dbname,
        autocommit=True,
        application_name="sg:admin",
        pinned_path=True,
    )
