"""Query results printed the psql way: aligned tables, JSON keyed by column, or CSV."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from typing import Any

from sg.app.cli.text_results import Column, StatementResult

NULL = "NULL"
# int2, int4, int8, oid, float4, float8, numeric, money: right-aligned like psql does
_NUMERIC_OIDS = {20, 21, 23, 26, 700, 701, 1700, 790}
_INTEGER_OIDS = {20, 21, 23, 26}
_FLOAT_OIDS = {700, 701}
_JSON_OIDS = {114, 3802}
_BOOL_OID = 16


def as_table(result: StatementResult) -> str:
    """psql's aligned format: centred headers, a rule, one line per row, a row count."""
    columns, rows = result.columns or [], result.rows or []
    cells = [[_lines(NULL if v is None else v) for v in row] for row in rows]
    widths = [
        max([_width(c.name)] + [_width(line) for row in cells for line in row[i]])
        for i, c in enumerate(columns)
    ]
    out = ["|".join(f" {_centre(c.name, w)} " for c, w in zip(columns, widths, strict=True))]
    out.append("+".join("-" * (w + 2) for w in widths))
    for row in cells:
        out += _row_lines(row, columns, widths)
    count = len(rows)
    out.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(line.rstrip() for line in out)


def as_json(result: StatementResult) -> str:
    """The rows as JSON objects keyed by column name, values typed where JSON has the type.

    Booleans, integers, floats and json/jsonb become JSON values; numeric stays a string so
    that no digit is lost; every other type is PostgreSQL's text form.
    """
    columns = result.columns or []
    objects = [
        {c.name: _json_value(v, c.type_oid) for c, v in zip(columns, row, strict=True)}
        for row in result.rows or []
    ]
    return json.dumps(objects, indent=2, ensure_ascii=False)


def as_csv(result: StatementResult) -> str:
    """A header line, then one line per row (NULL as an empty field, like psql --csv)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in result.columns or []])
    writer.writerows([["" if v is None else v for v in row] for row in result.rows or []])
    return buffer.getvalue().rstrip("\n")


def _json_value(value: str | None, type_oid: int) -> Any:
    if value is None:
        return None
    if type_oid == _BOOL_OID:
        return value == "t"
    if type_oid in _INTEGER_OIDS:
        return int(value)
    if type_oid in _FLOAT_OIDS and value not in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    if type_oid in _JSON_OIDS:
        return json.loads(value)
    return value


def _row_lines(row: list[list[str]], columns: list[Column], widths: list[int]) -> list[str]:
    height = max((len(cell) for cell in row), default=1)
    lines = []
    for n in range(height):
        parts = []
        for cell, column, width in zip(row, columns, widths, strict=True):
            text = cell[n] if n < len(cell) else ""
            more = "+" if n < len(cell) - 1 else " "  # psql marks a value going on below
            parts.append(f" {_pad(text, width, column.type_oid in _NUMERIC_OIDS)}{more}")
        lines.append("|".join(parts))
    return lines


def _lines(text: str) -> list[str]:
    return text.split("\n") or [""]


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def _centre(text: str, width: int) -> str:
    gap = width - _width(text)
    return " " * (gap // 2) + text + " " * (gap - gap // 2)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def plain_table(headers: list[str], rows: list[list[Any]]) -> str:
    """A psql-style table of sg's own listings; int cells are right-aligned like numbers."""
    kinds = [
        20 if rows and all(isinstance(row[i], int) for row in rows) else 25
        for i in range(len(headers))
    ]
    result = StatementResult(
        f"SELECT {len(rows)}",
        [Column(name, oid) for name, oid in zip(headers, kinds, strict=True)],
        [[None if v is None else str(v) for v in row] for row in rows],
    )
    return as_table(result)
