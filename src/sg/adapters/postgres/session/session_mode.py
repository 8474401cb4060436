"""sg's own statements run under pinned session settings; the user's come back for theirs.

A user's session may set anything: a search_path that puts a hostile schema first, an
encoding psycopg cannot name, a DateStyle its loaders cannot read, floats cut short. sg's
statements must mean the same in every session, so before the first of them the user's
values are read and sg's are set; before the user's next statement (`run_sql`) the user's
values are put back. Switching happens only when the kind of statement changes, and a
rollback (which may undo either SET) makes the state unknown until the next switch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import psycopg
from psycopg.pq import TransactionStatus

from sg.adapters.postgres.session.session_settings import READ_SETTINGS, WRITE_SETTINGS

# search_path: built-ins first, temporary objects last, nothing a user can create in between.
# TimeZone stays the user's: it changes no value, only the zone values are shown in (psycopg
# returns the same instants, in the user's zone); digests pin UTC themselves.
# row_security off: a query that a row-level security policy would filter fails instead of
# silently losing rows (and never runs a policy's functions with the engine role's rights).
PINNED: Mapping[str, str] = {
    "search_path": "pg_catalog, pg_temp",
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "extra_float_digits": "1",
    "bytea_output": "hex",
    "standard_conforming_strings": "on",
    "array_nulls": "on",
    "lc_monetary": "C",
    "xmloption": "content",
    "row_security": "off",
}
_NAMES = list(PINNED)


Connection = psycopg.Connection[tuple[Any, ...]]
State = Literal["user", "sg", "unknown"]


class SessionMode:
    """Which settings one connection's session is under, and the user's values to put back."""

    def __init__(self) -> None:
        self._state: State = "user"
        self._saved: list[str] | None = None
        self._pinned_as_read: list[str] | None = None

    def enter(self, conn: Connection, *, user: bool) -> None:
        """Put the session under the user's settings (`user`) or sg's pinned ones."""
        wanted: State = "user" if user else "sg"
        if self._state == wanted:
            return
        idle = conn.info.transaction_status == TransactionStatus.IDLE
        if user:
            if self._saved is not None:
                _write(conn, _NAMES, self._saved)
        else:
            current = _read(conn)
            if self._state == "user" or current != self._pinned_as_read:
                self._saved = current
            changed = [i for i, name in enumerate(_NAMES) if current[i] != PINNED[name]]
            if changed:
                _write(conn, [_NAMES[i] for i in changed], [PINNED[_NAMES[i]] for i in changed])
            if self._pinned_as_read is None:
                self._pinned_as_read = _read(conn)
        if idle:
            # Switching must not open a transaction that the caller never began.
            conn.commit()
        self._state = wanted

    def rolled_back(self) -> None:
        """A rollback may have undone the last switch: find out at the next one."""
        if self._saved is not None:
            self._state = "unknown"


def _read(conn: Connection) -> list[str]:
    with conn.cursor() as cursor:
        row = cursor.execute(READ_SETTINGS, [_NAMES]).fetchone()
    # Under SQL_ASCII the driver hands text over as bytes (the server's own, UTF-8 here).
    return (
        [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row[0]]
        if row
        else []
    )


def _write(conn: Connection, names: list[str], values: list[str]) -> None:
    with conn.cursor() as cursor:
        cursor.execute(WRITE_SETTINGS, [False, names, values])
