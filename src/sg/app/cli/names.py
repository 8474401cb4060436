"""Names on the command line, read and written the way PostgreSQL reads SQL identifiers.

An unquoted name is folded to lower case (`Sales.Orders` is `sales.orders`); a
double-quoted name is taken exactly, with `""` for a quote inside it
(`"My Schema"."Order.Lines"`). A bare table name means schema `public`. Names are printed
back quoted exactly when they need it, so every printed name can be passed back.
"""

from __future__ import annotations

import re

from sg.domain.errors import InvalidIdentifierError
from sg.domain.model import TableRef

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def parse_table(text: str, default_schema: str = "public") -> TableRef:
    """`schema.table`, `"Odd.Schema"."Tab.le"` or a bare `table` (in `default_schema`)."""
    return _table(text, _split(text), default_schema)


def parse_schema(text: str) -> str:
    """One schema name."""
    parts = _split(text)
    if len(parts) != 1:
        raise InvalidIdentifierError(f"{text!r} is not a schema name (quote names holding dots)")
    return parts[0]


def parse_schema_or_table(text: str) -> tuple[str, str | None]:
    """`schema` alone, or `schema.table`."""
    parts = _split(text)
    if len(parts) == 1:
        return parts[0], None
    table = _table(text, parts, "public")
    return table.schema, table.table


def split_version(text: str) -> tuple[str, str | None]:
    """`SCHEMA@VERSION` as `(SCHEMA, VERSION)`, `SCHEMA` as `(SCHEMA, None)`.

    The first `@` outside double quotes separates them, so a quoted schema may hold one.
    """
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "@" and not quoted:
            if not text[i + 1 :]:
                raise InvalidIdentifierError(f"no version after '@' in {text!r}")
            return text[:i], text[i + 1 :]
    return text, None


def parse_version_target(text: str, default: str = "latest") -> tuple[str, str]:
    """`SCHEMA@VERSION` (a tag, id or id prefix), or `SCHEMA` meaning `default`."""
    schema, version = split_version(text)
    return parse_schema(schema), version or default


def is_object_id(text: str) -> bool:
    """True when `text` is an object id (`o` and 62 lowercase hex digits), not a name."""
    from sg.domain.errors import InvalidObjectIdError
    from sg.domain.object_id import ObjectId

    try:
        ObjectId(text)
    except InvalidObjectIdError:
        return False
    return True


def quote_name(name: str) -> str:
    """`name` as it must be typed to mean exactly `name`: quoted only when needed."""
    if _PLAIN.match(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def show_table(ref: TableRef | tuple[str, str]) -> str:
    """`schema.table` with each part quoted when needed; parses back to the same table."""
    schema, table = ref
    return f"{quote_name(schema)}.{quote_name(table)}"


def _table(text: str, parts: list[str], default_schema: str) -> TableRef:
    if len(parts) == 1:
        return TableRef(default_schema, parts[0])
    if len(parts) == 2:
        return TableRef(parts[0], parts[1])
    raise InvalidIdentifierError(f"{text!r} is not SCHEMA.TABLE (quote names holding dots)")


def _split(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i, quoted, was_quoted = 0, False, False
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
            quoted = was_quoted = True
        elif char == ".":
            parts.append(_finish(text, current, was_quoted))
            current, was_quoted = [], False
        else:
            current.append(char.translate(_UPPER))
        i += 1
    if quoted:
        raise InvalidIdentifierError(f"unbalanced quote in {text!r}")
    parts.append(_finish(text, current, was_quoted))
    return parts


def _finish(text: str, current: list[str], was_quoted: bool) -> str:
    name = "".join(current)
    if not name:
        raise InvalidIdentifierError(f"empty name in {text!r}")
    if not was_quoted and name != name.strip():
        raise InvalidIdentifierError(f"stray space in {text!r} (quote names holding spaces)")
    if len(name.encode("utf-8")) > 63:
        raise InvalidIdentifierError(f"name {name!r} is longer than PostgreSQL's 63 bytes")
    return name
