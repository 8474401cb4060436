"""A row limit on `COPY ... FROM STDIN` that the client learns of while it is still sending.

A server that rejects a COPY keeps accepting (and discarding) the data the client sends
until the client ends the COPY, and libpq reports the error only then: a dump with more
rows than its header promises would be read to its end. So the target table gets a CHECK
that counts rows with a temporary sequence and, on the first row too many, raises a
warning (delivered to the client at once, even during COPY) before failing. The client
polls for that warning after every chunk and stops reading.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from psycopg import sql

from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.domain.model import ResultShape, TableRef

WARNING_MESSAGE = "sg: the COPY stream holds more rows than allowed"
CONSTRAINT = "sg_load_row_limit"
# Warnings must reach the client whatever the session's client_min_messages says.
SETTINGS = {"client_min_messages": "warning"}


class RowLimit:
    """Install on an empty table, COPY into it, poll after each write, then remove."""

    def __init__(self, runner: PostgresSession, table: TableRef, max_rows: int) -> None:
        self._sql = runner
        self._listening: AbstractContextManager[None] | None = None
        self._table = table
        self._max = max_rows
        sequence = f"sg_load_rows_{uuid.uuid4().hex}"
        self._sequence = sql.Identifier("pg_temp", sequence)
        self._sequence_name = sql.Literal(f"pg_temp.{sequence}")  # for a regclass constant
        self._function = sql.Identifier("pg_temp", f"{sequence}_exceeded")
        self.exceeded = False

    def __enter__(self) -> RowLimit:
        self._run(sql.SQL("CREATE TEMPORARY SEQUENCE {} CACHE 1000").format(self._sequence))
        self._run(
            sql.SQL(
                "CREATE FUNCTION {}() RETURNS boolean LANGUAGE plpgsql"
                " AS $$BEGIN RAISE WARNING USING MESSAGE = {}; RETURN false; END$$"
            ).format(self._function, sql.Literal(WARNING_MESSAGE))
        )
        self._run(
            sql.SQL(
                "ALTER TABLE {} ADD CONSTRAINT {} CHECK ("
                "pg_catalog.nextval({}::pg_catalog.regclass) OPERATOR(pg_catalog.<=) {}"
                " OR {}())"
            ).format(
                sql.Identifier(*self._table),
                sql.Identifier(CONSTRAINT),
                self._sequence_name,
                sql.Literal(self._max),
                self._function,
            )
        )
        self._listening = self._sql.notices(self._on_notice)
        self._listening.__enter__()
        return self

    def poll(self) -> None:
        """Take in whatever the server sent so far; sets `exceeded` on its warning."""
        self._sql.poll_notices()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._listening is not None:
            self._listening.__exit__(None, None, None)
        if kind is not None:
            return  # the caller rolls its savepoint back, and these with it
        self._run(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(*self._table), sql.Identifier(CONSTRAINT)
            )
        )
        self._run(sql.SQL("DROP FUNCTION {}()").format(self._function))
        self._run(sql.SQL("DROP SEQUENCE {}").format(self._sequence))

    def _on_notice(self, message: str) -> None:
        if message == WARNING_MESSAGE:
            self.exceeded = True

    def _run(self, statement: sql.Composable, args: Any = None) -> None:
        self._sql.run(statement, args, ResultShape.NONE)
