"""The Postgres session: the SQL port over one lazy psycopg connection, and the driver work
the PostgreSQL adapters need beyond it (COPY, client-side binding, notices, typed errors)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.abc import Buffer
from psycopg.pq import TransactionStatus

from sg.adapters.postgres.session.connection import Connection, connect_engine
from sg.adapters.postgres.session.errors import Refine, translate_error, translated
from sg.adapters.postgres.session.session_mode import SessionMode
from sg.adapters.postgres.session.session_settings import pinned_settings
from sg.adapters.postgres.session.statements import as_query, shape_result, with_arguments
from sg.domain.engine_params import EngineParams
from sg.domain.errors import EngineConnectionError, SgError, TransportUnavailableError
from sg.domain.model import ResultShape
from sg.ports.sql import Arguments, SqlRunner, Statement

log = logging.getLogger(__name__)
_cursor_names = itertools.count(1)
T = TypeVar("T")


def session_of(runner: SqlRunner, user: str) -> PostgresSession:
    """`runner` as the Postgres session `user` needs; `TransportUnavailableError` otherwise."""
    if not isinstance(runner, PostgresSession):
        raise TransportUnavailableError(f"{user} needs a PostgreSQL session, not {runner!r}")
    return runner


class CopyPipe:
    """One running COPY: iterate it for the data of `COPY TO`, write to it for `COPY FROM`."""

    def __init__(self, copy: psycopg.Copy) -> None:
        self._copy = copy
        # Bound once: these run per chunk or per row.
        self.write = copy.write
        self.write_row = copy.write_row
        self.rows = 0

    def __iter__(self) -> Iterator[Buffer]:
        return iter(self._copy)


class PostgresSession:
    """Runs SQL on one engine's connection, opened on first use and reopened if it broke.

    Driver errors become sg's typed errors in one place, `translated()`: statements, COPY
    and cursors all go through it.

    sg's own statements run under pinned session settings (search_path, encoding, date and
    float formats: see `session_mode`); statements inside `user_session()` run under the
    user's own settings, which are put back before any of them runs.
    """

    def __init__(self, params: EngineParams, name: str) -> None:
        self._params = params
        self._name = name
        self._conn: Connection | None = None
        self._savepoints: list[str] = []
        self._user_depth = 0
        self._mode = SessionMode()

    def __repr__(self) -> str:
        return f"PostgresSession({self._name!r}, {self._params.describe()!r})"

    def native_connection(self) -> Connection:
        """The open psycopg connection (opened now if needed), in the mode the caller is in."""
        return self._retrying(lambda conn: conn)

    def connect(self) -> None:
        """Open the connection now unless it is open; `EngineConnectionError` if it cannot."""
        self.native_connection()

    @property
    def broken(self) -> bool:
        """True when the server or the network ended the open connection."""
        return self._conn is not None and self._conn.broken

    @contextmanager
    def translated(
        self,
        refine: Refine | None = None,
        secrets: Sequence[str | None] = (),
        *,
        undo: bool = False,
    ) -> Iterator[None]:
        """Driver errors inside become sg's typed errors, passwords masked; `refine` may
        replace the typed error with a more telling one (it sees the driver's error too).

        With `undo`, the failed work is rolled back first (the innermost savepoint, else the
        transaction), as for every statement the SQL port runs.
        """
        if not undo:
            masked = (self._params.password, self._params.admin_password, *secrets)
            with translated(masked, refine):
                yield
            return
        try:
            yield
        except psycopg.Error as exc:
            error = self._fail(exc, secrets)
            raise (error if refine is None else refine(exc, error)) from exc

    @contextmanager
    def cursor(
        self, refine: Refine | None = None, secrets: Sequence[str | None] = ()
    ) -> Iterator[psycopg.Cursor[tuple[Any, ...]]]:
        """A cursor on the open connection under sg's settings; its errors `translated()`."""
        conn = self.native_connection()
        with self.translated(refine, secrets), conn.cursor() as cursor:
            yield cursor

    @contextmanager
    def copy(
        self,
        statement: sql.SQL | sql.Composed,
        refine: Refine | None = None,
        secrets: Sequence[str | None] = (),
    ) -> Iterator[CopyPipe]:
        """Run `COPY ... TO STDOUT` (iterate the pipe) or `COPY ... FROM STDIN` (write to it);
        the pipe's `rows` is set when the block ends."""
        with self.cursor(refine, secrets) as cursor:
            with cursor.copy(statement) as copy:
                pipe = CopyPipe(copy)
                yield pipe
            pipe.rows = int(cursor.rowcount)

    def bind(self, statement: Statement, arguments: Sequence[Any]) -> sql.Composable:
        """`statement` with `arguments` bound client-side, as a composable with no placeholders."""
        query = as_query(statement)
        with self.translated(), psycopg.ClientCursor(self.native_connection()) as cursor:
            return sql.SQL(cursor.mogrify(query, list(arguments)))

    @contextmanager
    def notices(self, handler: Callable[[str], None]) -> Iterator[None]:
        """Pass the primary message of each notice or warning the server sends to `handler`."""

        def on_notice(diagnostic: psycopg.errors.Diagnostic) -> None:
            handler(diagnostic.message_primary or "")

        conn = self.native_connection()
        conn.add_notice_handler(on_notice)
        try:
            yield
        finally:
            conn.remove_notice_handler(on_notice)

    def poll_notices(self) -> None:
        """Take in what the server sent so far (during a COPY too): notices reach handlers now."""
        pgconn = self.native_connection().pgconn
        pgconn.consume_input()
        pgconn.is_busy()  # parses the input

    def idle(self) -> bool:
        """True when no transaction is in progress (nor a connection open to hold one)."""
        conn = self._conn
        if conn is None or conn.closed:
            return True
        return conn.info.transaction_status == TransactionStatus.IDLE

    @contextmanager
    def user_session(self) -> Iterator[None]:
        """Run the block's statements under the user's own session settings."""
        self._user_depth += 1
        try:
            yield
        finally:
            self._user_depth -= 1

    def run(self, statement: Statement, arguments: Arguments | None, shape: ResultShape) -> Any:
        """Run one statement and shape its result; on error roll back and raise an `SgError`."""

        def execute(conn: Connection) -> Any:
            with conn.cursor() as cursor:
                cursor.execute(with_arguments(as_query(statement), arguments, conn), arguments)
                return shape_result(cursor, shape)

        return self._retrying(execute)

    def _retrying(self, work: Callable[[Connection], T]) -> T:
        """`work` on the connection, in the caller's mode. A connection the server dropped
        while no transaction was open lost nothing (sg never commits implicitly), so the
        work runs once more on a new connection; any other failure is typed and undone."""
        for attempt in (1, 2):
            conn = self._connection()
            idle = self._idle(conn)
            try:
                self._mode.enter(conn, user=self._user_depth > 0)
                return work(conn)
            except psycopg.OperationalError as exc:
                if attempt == 1 and idle and conn.broken:
                    log.info("engine %s: connection lost while idle; reconnecting", self._name)
                    self._forget_connection()
                    continue
                raise self._fail(exc) from exc
            except psycopg.Error as exc:
                raise self._fail(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def run_batch(
        self, statement: Statement, arguments: Sequence[Arguments], schema: str | None
    ) -> None:
        """Run a statement once per argument set, pipelined; `schema` is the batch's search_path."""
        conn = self.native_connection()
        query = with_arguments(as_query(statement), arguments, conn)
        path = {} if schema is None else {"search_path": sql.Identifier(schema).as_string(conn)}
        with (
            pinned_settings(self, path),
            self.translated(undo=True),
            conn.cursor() as cursor,
        ):
            cursor.executemany(query, arguments)

    def stream(
        self, statement: Statement, arguments: Arguments | None, batch_rows: int
    ) -> Iterator[tuple[Any, ...]]:
        """Yield a query's rows through a server-side cursor, `batch_rows` at a time."""
        conn = self.native_connection()
        with (
            self.translated(undo=True),
            conn.cursor(name=f"sg_stream_{next(_cursor_names)}") as cursor,
        ):
            cursor.itersize = batch_rows
            cursor.execute(with_arguments(as_query(statement), arguments, conn), arguments)
            yield from cursor

    def column_names(self, statement: Statement, arguments: Arguments | None) -> list[str]:
        """The names of the columns a query returns, without fetching its rows."""
        probe = sql.SQL("SELECT * FROM ({}) AS sg_probe LIMIT 0").format(as_query(statement))
        conn = self.native_connection()
        query = with_arguments(probe, arguments, conn)
        with self.translated(undo=True), conn.cursor() as cursor:
            cursor.execute(query, arguments)
            return [column.name for column in cursor.description or ()]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A savepoint: released on success, rolled back (and the error re-raised) on failure."""
        conn = self.native_connection()
        name = f"sg_savepoint_{next(_cursor_names)}"
        self.run(sql.SQL("SAVEPOINT {}").format(sql.Identifier(name)), None, ResultShape.NONE)
        self._savepoints.append(name)
        try:
            yield
        except BaseException:
            if name in self._savepoints and not conn.closed:
                self._unwind_to(name)
                self.run(
                    sql.SQL("ROLLBACK TO SAVEPOINT {}").format(sql.Identifier(name)),
                    None,
                    ResultShape.NONE,
                )
                self.run(
                    sql.SQL("RELEASE SAVEPOINT {}").format(sql.Identifier(name)),
                    None,
                    ResultShape.NONE,
                )
            raise
        else:
            if name in self._savepoints:
                self._unwind_to(name)
                self.run(
                    sql.SQL("RELEASE SAVEPOINT {}").format(sql.Identifier(name)),
                    None,
                    ResultShape.NONE,
                )

    def commit(self) -> None:
        """Commit the current transaction (no-op when the connection is not open)."""
        self._end_transaction(commit=True)

    def rollback(self) -> None:
        """Roll back the current transaction (no-op when the connection is not open)."""
        self._end_transaction(commit=False)

    def close(self) -> None:
        """Commit and close the connection; the next call opens a new one."""
        if self._conn is None:
            return
        try:
            self.commit()
        finally:
            self._forget_connection()

    def _end_transaction(self, commit: bool) -> None:
        if self._conn is None or self._conn.closed:
            return
        self._savepoints.clear()
        if not commit:
            self._mode.rolled_back()
        try:
            self._conn.commit() if commit else self._conn.rollback()
        except psycopg.Error as exc:
            if not commit and self._conn.broken:
                # Nothing left to roll back: the server ended the session and its transaction.
                self._forget_connection()
                return
            raise self._fail(exc) from exc

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._conn = connect_engine(self._params, self._name)
            self._savepoints.clear()
            self._mode = SessionMode()
        return self._conn

    def _idle(self, conn: Connection) -> bool:
        return conn.info.transaction_status == TransactionStatus.IDLE and not self._savepoints

    def _forget_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._savepoints.clear()

    def _unwind_to(self, name: str) -> None:
        del self._savepoints[self._savepoints.index(name) :]

    def _translate(self, exc: psycopg.Error, secrets: Sequence[str | None] = ()) -> SgError:
        """The typed error for a driver error, this engine's passwords and `secrets` masked."""
        return translate_error(exc, (self._params.password, self._params.admin_password, *secrets))

    def _fail(self, exc: psycopg.Error, secrets: Sequence[str | None] = ()) -> SgError:
        """Undo the failed work (innermost savepoint, else the transaction) and type the error."""
        error = self._translate(exc, secrets)
        conn = self._conn
        self._mode.rolled_back()
        if conn is None or conn.closed or conn.broken:
            self._forget_connection()
            return EngineConnectionError(
                f"the connection to engine {self._name} was lost ({error}); its open "
                "transaction was rolled back, and the next call reconnects"
            )
        try:
            if self._savepoints:
                with conn.cursor() as cursor:
                    cursor.execute(
                        sql.SQL("ROLLBACK TO SAVEPOINT {}").format(
                            sql.Identifier(self._savepoints[-1])
                        )
                    )
            else:
                conn.rollback()
        except psycopg.Error:
            log.warning("engine %s: recovery after an error failed; reconnecting", self._name)
            self._forget_connection()
        return error
