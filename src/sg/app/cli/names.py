"""Parse `SCHEMA.TABLE` arguments; either part may be double-quoted to hold dots or quotes."""

from __future__ import annotations

from sg.domain.errors import InvalidIdentifierError
from sg.domain.model import TableRef


def parse_table(text: str, default_schema: str = "public") -> TableRef:
    """`schema.table`, `"odd.schema"."Tab.le"` or a bare `table` (in `default_schema`)."""
    return _table(text, _split(text), default_schema)


def _table(text: str, parts: list[str], default_schema: str) -> TableRef:
    if len(parts) == 1:
        return TableRef(default_schema, parts[0])
    if len(parts) == 2:
        return TableRef(parts[0], parts[1])
    raise InvalidIdentifierError(f"{text!r} is not SCHEMA.TABLE (quote names holding dots)")


def parse_schema_or_table(text: str) -> tuple[str, str | None]:
    """`schema` alone, or `schema.table`."""
    parts = _split(text)
    if len(parts) == 1:
        return parts[0], None
    table = _table(text, parts, "public")
    return table.schema, table.table


def _split(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i, quoted = 0, False
    while i < len(text):
        char = text[i]
        if quoted:
            if char == '"' and text[i + 1 : i + 2] == '"':
                current.append('"')
                i += 1
            elif char == '"':
                quoted = False
            else:
                current.append(char)
        elif char == '"':
            quoted = True
        elif char == ".":
            parts.append(_finish(text, current))
            current = []
        else:
            current.append(char)
        i += 1
    if quoted:
        raise InvalidIdentifierError(f"unbalanced quote in {text!r}")
    parts.append(_finish(text, current))
    return parts


def _finish(text: str, current: list[str]) -> str:
    name = "".join(current)
    if not name:
        raise InvalidIdentifierError(f"empty name in {text!r}")
    if len(name.encode("utf-8")) > 63:
        raise InvalidIdentifierError(f"name {name!r} is longer than PostgreSQL's 63 bytes")
    return name
