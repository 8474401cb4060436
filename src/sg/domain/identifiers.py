"""Checks on schema and table names handed in by callers, before any SQL is built."""

from __future__ import annotations

from sg.domain.errors import InvalidIdentifierError
from sg.domain.model import TableRef

MAX_NAME_BYTES = 63  # PostgreSQL truncates longer identifiers silently


def check_name(value: object, what: str) -> str:
    """`value` if it is a usable PostgreSQL name; else `InvalidIdentifierError`."""
    if not isinstance(value, str):
        raise InvalidIdentifierError(f"{what} must be a str, not {type(value).__name__}")
    if not value or "\x00" in value:
        raise InvalidIdentifierError(f"{what} {value!r} is empty or holds a NUL character")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidIdentifierError(
            f"{what} {value!r} is not valid Unicode (it holds a lone surrogate)"
        ) from None
    if len(encoded) > MAX_NAME_BYTES:
        raise InvalidIdentifierError(
            f"{what} {value!r} is longer than PostgreSQL's {MAX_NAME_BYTES} bytes"
        )
    return value


def check_table(table: TableRef) -> TableRef:
    """`table` if both its schema and table names are usable."""
    check_name(table.schema, "schema name")
    check_name(table.table, "table name")
    return table
