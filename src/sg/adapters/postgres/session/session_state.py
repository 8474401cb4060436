"""Whether an engine's session is between transactions, asked of its driver connection."""

from __future__ import annotations

import psycopg
from psycopg.pq import TransactionStatus

from sg.ports.sql import SqlRunner


def is_between_transactions(runner: SqlRunner) -> bool:
    """True when the runner's open psycopg connection has no transaction in progress;
    False when one is open, or when the runner is not backed by psycopg (then unknown)."""
    conn = runner.native_connection()
    if not isinstance(conn, psycopg.Connection):
        return False
    return conn.info.transaction_status == TransactionStatus.IDLE
