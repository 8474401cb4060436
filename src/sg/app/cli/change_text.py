"""Changes shown with SQL literals, each value rendered by the server's own output function.

The changed values go back to the server as one jsonb document per change, become a row of
the table's own type (`jsonb_populate_record`), and come back in PostgreSQL's text form.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sg.domain.model import Change, ChangeKind, TableRef

if TYPE_CHECKING:
    from sg.app.facades.object_engine import PostgresEngine

SIGNS = {ChangeKind.INSERT: "+", ChangeKind.DELETE: "-", ChangeKind.UPDATE: "~"}
_UNQUOTED_OIDS = {20, 21, 23, 26, 700, 701, 1700}  # integers, floats, numeric
_BOOL_OID = 16


def change_literals(
    engine: PostgresEngine, table: TableRef, changes: list[Change]
) -> list[tuple[list[str], list[tuple[str, str]]]]:
    """Per change: its key values and its `(column, literal)` pairs, as SQL literals."""
    if not changes:
        return []
    import psycopg
    from psycopg import sql
    from psycopg.adapt import Transformer
    from psycopg.types.json import Jsonb

    from sg.adapters.postgres.session.errors import translate_error

    key_columns = [name for name, _ in engine.get_primary_keys(*table)]
    docs = [_document(change, key_columns) for change in changes]
    columns = list(dict.fromkeys(name for doc in docs for name in doc))
    record = sql.SQL("pg_catalog.jsonb_populate_record(NULL::{}.{}, x.doc)").format(
        sql.Identifier(table.schema), sql.Identifier(table.table)
    )
    query = sql.SQL(
        "SELECT {} FROM pg_catalog.unnest(%s::pg_catalog.jsonb[])"
        " WITH ORDINALITY AS x(doc, position) ORDER BY x.position"
    ).format(
        sql.SQL(", ").join(sql.SQL("({}).{}").format(record, sql.Identifier(c)) for c in columns)
    )
    conn = engine.connection
    transformer = Transformer(conn)
    payload = [
        Jsonb(doc, dumps=lambda v: json.dumps(v, default=_text_of(transformer))) for doc in docs
    ]
    try:
        with conn.cursor() as cursor:
            cursor.execute(query, [payload])
            result = cursor.pgresult
    except psycopg.Error as exc:
        engine.rollback()
        raise translate_error(exc, (engine.params.password,)) from None
    assert result is not None
    encoding = conn.info.encoding
    shown = []
    for row, (change, doc) in enumerate(zip(changes, docs, strict=True)):
        literal = {
            name: _literal(result.get_value(row, i), result.ftype(i), encoding)
            for i, name in enumerate(columns)
            if name in doc
        }
        key = [literal[name] for name in (key_columns or list(change.change_data))]
        shown.append((key, [(name, literal[name]) for name in change.change_data]))
    return shown


def change_line(change: Change, key: list[str], data: list[tuple[str, str]]) -> str:
    """`SIGN (key, ...) column=value, ...`: `+` added, `-` removed, `~` updated."""
    values = ", ".join(f"{name}={value}" for name, value in data)
    return f"{SIGNS[change.change_type]} ({', '.join(key)}) {values}"


def _document(change: Change, key_columns: list[str]) -> dict[str, Any]:
    key = dict(zip(key_columns, change.primary_key, strict=True)) if key_columns else {}
    return {**key, **change.change_data}


def _text_of(transformer: Any) -> Any:
    """A JSON fallback giving a value's PostgreSQL input text (dates, numerics, bytes, ...)."""
    from psycopg.adapt import PyFormat

    def text(value: Any) -> str:
        dumped = transformer.get_dumper(value, PyFormat.TEXT).dump(value)
        return bytes(dumped or b"").decode()

    return text


def _literal(value: bytes | None, type_oid: int, encoding: str) -> str:
    if value is None:
        return "NULL"
    text = value.decode(encoding)
    if type_oid == _BOOL_OID:
        return "true" if text == "t" else "false"
    if type_oid in _UNQUOTED_OIDS and text not in ("NaN", "Infinity", "-Infinity"):
        return text
    return _quoted(text)


def _quoted(text: str) -> str:
    """A string literal; E'' with backslash escapes when it holds control characters."""
    if not any(ord(ch) < 32 or ch == "\x7f" for ch in text):
        return "'" + text.replace("'", "''") + "'"
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    for char, escape in (("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = escaped.replace(char, escape)
    escaped = "".join(f"\\x{ord(ch):02x}" if ord(ch) < 32 or ch == "\x7f" else ch for ch in escaped)
    return f"E'{escaped}'"
