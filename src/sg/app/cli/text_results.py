"""Run user SQL and keep every statement's result in PostgreSQL's own text form.

Values are never turned into Python objects and back: the server renders each with its
type's output function, exactly as psql shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sg.domain.errors import DatabaseError, SqlSyntaxError

if TYPE_CHECKING:
    from psycopg import Cursor
    from psycopg.pq.abc import PGresult

    from sg.app.facades.object_engine import PostgresEngine


@dataclass(frozen=True)
class Column:
    """A result column: its name and its type's oid."""

    name: str
    type_oid: int


@dataclass(frozen=True)
class StatementResult:
    """One statement's outcome: its command tag and, for a query, columns and text rows."""

    status: str
    columns: list[Column] | None = None
    rows: list[list[str | None]] | None = None


def run_as_text(engine: PostgresEngine, statement: str) -> list[StatementResult]:
    """Run one or more `;`-separated statements; roll back and raise a typed error on failure."""
    import psycopg
    from psycopg import pq

    from sg.adapters.postgres.session.errors import translate_error

    if not statement.strip():
        raise SqlSyntaxError("no SQL statement given; pass one, e.g. sg sql 'SELECT 1'")
    conn = engine.connection
    encoding = conn.info.encoding
    results: list[StatementResult] = []
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)  # no arguments: '%' is literal, several statements run
            while True:
                result = _current(cursor)
                if result.status == pq.ExecStatus.EMPTY_QUERY:
                    raise SqlSyntaxError("no SQL statement given (only comments or ';')")
                results.append(_text_result(result, encoding))
                if not cursor.nextset():
                    break
    except psycopg.Error as exc:
        if conn.pgconn.transaction_status == pq.TransactionStatus.ACTIVE:  # stuck in a COPY
            conn.close()  # the work is lost with the connection; the engine opens a new one
            raise DatabaseError(
                "sg sql cannot stream COPY to or from the client; use psql for that"
            ) from None
        engine.rollback()
        raise translate_error(exc, (engine.params.password,)) from None
    except BaseException:
        engine.rollback()
        raise
    return results


def _current(cursor: Cursor[object]) -> PGresult:
    result = cursor.pgresult
    assert result is not None  # execute() always leaves a result
    return result


def _text_result(result: PGresult, encoding: str) -> StatementResult:
    from psycopg import pq

    status = (result.command_status or b"").decode(encoding)
    if result.status != pq.ExecStatus.TUPLES_OK:
        return StatementResult(status)
    columns = [
        Column((result.fname(i) or b"").decode(encoding), result.ftype(i))
        for i in range(result.nfields)
    ]
    rows = [
        [_decode(result.get_value(r, c), encoding) for c in range(result.nfields)]
        for r in range(result.ntuples)
    ]
    return StatementResult(status, columns, rows)


def _decode(value: bytes | None, encoding: str) -> str | None:
    return None if value is None else value.decode(encoding)
