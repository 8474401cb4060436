"""Translate psycopg exceptions into sg's typed errors, keeping the server's message."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg

from sg.domain import errors

_BY_SQLSTATE: dict[str, type[errors.DatabaseError]] = {
    "42601": errors.SqlSyntaxError,
    "42P01": errors.TableNotFoundError,
    "42703": errors.UndefinedObjectError,
    "42704": errors.UndefinedObjectError,
    "42883": errors.UndefinedObjectError,
    "3F000": errors.UndefinedObjectError,
    "3D000": errors.UndefinedObjectError,
    "42P07": errors.DuplicateObjectError,
    "42P06": errors.DuplicateObjectError,
    "42P04": errors.DuplicateObjectError,
    "42710": errors.DuplicateObjectError,
    "42723": errors.DuplicateObjectError,
    "42501": errors.PermissionDeniedError,
    "55P03": errors.TransactionConflictError,
    "57014": errors.QueryCanceledError,
}
_SERVER_GONE = ("57P01", "57P02", "57P03")  # admin shutdown, crash shutdown, cannot connect now
_BY_CLASS: dict[str, type[errors.DatabaseError]] = {
    "22": errors.DataValueError,
    "23": errors.IntegrityViolationError,
    "40": errors.TransactionConflictError,
}


def translate_error(exc: psycopg.Error, secrets: tuple[str | None, ...] = ()) -> errors.SgError:
    """The sg error for a psycopg error; any of `secrets` in the message is masked."""
    message = _scrub(str(exc).strip() or type(exc).__name__, secrets)
    sqlstate = exc.sqlstate
    lost = sqlstate is None or sqlstate.startswith("08") or sqlstate in _SERVER_GONE
    if lost and isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return errors.EngineConnectionError(message)
    if sqlstate is None:
        return errors.DatabaseError(message)
    kind = _BY_SQLSTATE.get(sqlstate) or _BY_CLASS.get(sqlstate[:2]) or errors.DatabaseError
    return kind(message, sqlstate)


Refine = Callable[[psycopg.Error, errors.SgError], errors.SgError]
"""Given a driver error and its typed translation, the error to raise instead."""


@contextmanager
def translated(
    secrets: Sequence[str | None] = (), refine: Refine | None = None, *, hide_cause: bool = False
) -> Iterator[None]:
    """Driver errors inside become sg's typed errors, `secrets` masked; `refine` may replace
    the typed error with a more telling one. `hide_cause` drops the driver's exception from
    the chain, for errors whose driver text could carry a secret the masking cannot know."""
    try:
        yield
    except psycopg.Error as exc:
        error = translate_error(exc, tuple(secrets))
        if refine is not None:
            error = refine(exc, error)
        if hide_cause:
            raise error from None
        raise error from exc


def _scrub(message: str, secrets: tuple[str | None, ...]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "********")
    return message
