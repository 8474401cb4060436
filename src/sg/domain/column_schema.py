"""An object's column schema (names, types, key flags) and its JSON form."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sg.domain.errors import CorruptDumpError
from sg.domain.model import ColumnSpec

FLAG_COLUMN = "sg_ud_flag"
"""The last column of every fragment: true = upsert this row, false = delete its key."""
FLAG_TYPE = "boolean"
MAX_NAME_BYTES = 63  # PostgreSQL truncates longer identifiers silently
MAX_COLUMNS = 1600


def schema_json(columns: Sequence[ColumnSpec]) -> list[dict[str, Any]]:
    """The JSON-ready form: `[{"name", "type", "key"}]` in column order."""
    return [{"name": c.name, "type": c.type, "key": c.is_pk} for c in columns]


def canonical_schema_bytes(columns: Sequence[ColumnSpec]) -> bytes:
    """One byte string per schema, independent of how the JSON was once formatted."""
    text = json.dumps(schema_json(columns), sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def columns_from_json(value: object) -> list[ColumnSpec]:
    """Parse and validate a JSON column schema; `CorruptDumpError` says what is wrong."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_COLUMNS:
        raise CorruptDumpError("column schema must be a non-empty list of columns")
    columns: list[ColumnSpec] = []
    seen: set[str] = set()
    for ordinal, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) != {"name", "type", "key"}:
            raise CorruptDumpError(f"column {ordinal}: expected exactly name, type and key")
        name, kind, key = item["name"], item["type"], item["key"]
        if not _is_text(name) or "\x00" in name:
            raise CorruptDumpError(f"column {ordinal}: bad name {name!r}"[:300])
        if len(name.encode("utf-8")) > MAX_NAME_BYTES or name in seen:
            raise CorruptDumpError(f"column {ordinal}: name too long or repeated: {name!r}"[:300])
        if not _is_text(kind) or not isinstance(key, bool):
            raise CorruptDumpError(f"column {ordinal}: bad type {kind!r} or key flag {key!r}"[:300])
        seen.add(name)
        columns.append(ColumnSpec(ordinal, name, kind, key))
    return columns


def _is_text(value: object) -> bool:
    """A non-empty str that is valid Unicode (JSON escapes can spell lone surrogates)."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def with_flag(columns: Sequence[ColumnSpec]) -> list[ColumnSpec]:
    """A source table's columns followed by the fragment flag column."""
    data = list(columns)
    return [*data, ColumnSpec(len(data) + 1, FLAG_COLUMN, FLAG_TYPE, False)]
