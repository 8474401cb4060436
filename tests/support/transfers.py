"""Helpers shared by the transfer tests: leftovers, sessions, secrets in errors."""

from __future__ import annotations

import time
import traceback
from typing import Any

from psycopg import sql

from sg import PsycopgEngine, ResultShape
from sg.adapters.fdw.statements import APPLICATION_NAME
from tests.support.servers import TestServer

_LEFTOVERS = sql.SQL(
    "SELECT 'server ' || srvname FROM pg_catalog.pg_foreign_server"
    " UNION ALL SELECT 'user mapping ' || srvname FROM pg_catalog.pg_user_mappings"
    " UNION ALL SELECT 'schema ' || nspname FROM pg_catalog.pg_namespace"
    " WHERE starts_with(nspname, 'sg_transfer_')"
)


def fdw_leftovers(engine: PsycopgEngine) -> list[str]:
    """Foreign servers, user mappings and transfer schemas in the engine's database."""
    return list(engine.run_sql(_LEFTOVERS, return_shape=ResultShape.MANY_ONE))


def transfer_sessions(server: TestServer, wait_s: float = 2.0) -> int:
    """Sessions postgres_fdw opened on `server` for transfers, after they had time to end."""
    deadline = time.monotonic() + wait_s
    with server.admin_connect() as conn:
        while True:
            row: Any = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [APPLICATION_NAME],
            ).fetchone()
            count = int(row[0]) if row else 0
            if count == 0 or time.monotonic() > deadline:
                return count
            time.sleep(0.05)


def exception_texts(error: BaseException) -> list[str]:
    """`str`, `repr` and the formatted traceback of an error and of every cause and context."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    pending: list[BaseException] = []
    while current is not None or pending:
        if current is None:
            current = pending.pop()
        if id(current) not in seen:
            seen.add(id(current))
            texts += [str(current), repr(current), *traceback.format_exception(current)]
            texts += [repr(arg) for arg in current.args]
            pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        current = None
    return texts


def relation_exists(engine: PsycopgEngine, schema: str, table: str) -> bool:
    """True when `schema.table` exists."""
    return bool(
        engine.run_sql(
            "SELECT to_regclass(quote_ident(%s) || '.' || quote_ident(%s)) IS NOT NULL",
            [schema, table],
            ResultShape.ONE_ONE,
        )
    )


def backend_pid(engine: PsycopgEngine) -> int:
    """The server process of the engine's connection."""
    pid: Any = engine.run_sql("SELECT pg_backend_pid()", return_shape=ResultShape.ONE_ONE)
    return int(pid)
