"""The two statements that apply a list of fragments to a table.

Applying fragments one by one (delete the keys each mentions, insert its upserts) leaves,
for every key, exactly the upserts of the *last* fragment that mentions it. So one DELETE
removes every mentioned key and one INSERT adds each fragment's upserts whose key no later
fragment mentions: two statements for any number of fragments, and the base fragment of a
rebuild streams straight into the table through a hash anti-join.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

from sg.adapters.postgres.objects.key_match import KeyShape
from sg.adapters.postgres.objects.tuple_image import ImageColumn
from sg.domain.column_schema import FLAG_COLUMN
from sg.domain.model import TableRef

# Inside these statements the flag column's name is reused for a fragment's position in
# the list: it is the one name no data column can have.
_ORDINAL = sql.Identifier(FLAG_COLUMN)


def delete_mentioned(
    fragments: Sequence[TableRef], target: TableRef, shape: KeyShape
) -> sql.Composable:
    """Delete from `target` every key any of the fragments mentions."""
    mentioned = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {} FROM {} AS f").format(
            sql.SQL(", ").join(shape.identifiers("f")), sql.Identifier(*fragment)
        )
        for fragment in fragments
    )
    return sql.SQL("DELETE FROM {} AS t WHERE EXISTS (SELECT 1 FROM ({}) AS m WHERE {})").format(
        sql.Identifier(*target), mentioned, shape.matches("t", "m")
    )


def insert_last_upserts(
    fragments: Sequence[TableRef],
    target: TableRef,
    columns: Sequence[ImageColumn],
    shape: KeyShape,
    quals: sql.Composable | None,
) -> sql.Composable:
    """Insert each fragment's upserts (passing `quals`) whose key no later fragment mentions."""
    names = sql.SQL(", ").join(sql.Identifier(c.spec.name) for c in columns)
    upserts = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}, {} AS {} FROM {} WHERE {}").format(
            names, sql.Literal(position), _ORDINAL, sql.Identifier(*fragment), _ORDINAL
        )
        for position, fragment in enumerate(fragments)
    )
    filtered = sql.SQL("SELECT * FROM ({}) AS u").format(upserts)
    if quals is not None:
        filtered = sql.SQL("{} WHERE ({})").format(filtered, quals)
    selected = sql.SQL("SELECT {} FROM ({}) AS r").format(
        sql.SQL(", ").join(sql.Identifier("r", c.spec.name) for c in columns), filtered
    )
    insert = sql.SQL("INSERT INTO {} ({}) ").format(sql.Identifier(*target), names)
    if len(fragments) == 1:
        return insert + selected
    later = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}, {} AS {} FROM {} AS f").format(
            sql.SQL(", ").join(shape.identifiers("f")),
            sql.Literal(position),
            _ORDINAL,
            sql.Identifier(*fragment),
        )
        for position, fragment in enumerate(fragments)
        if position > 0
    )
    return sql.SQL("WITH later AS ({}) {}{} WHERE NOT EXISTS ({})").format(
        later,
        insert,
        selected,
        sql.SQL("SELECT 1 FROM later AS l WHERE {} AND {} > {}").format(
            shape.matches("l", "r"),
            sql.Identifier("l", FLAG_COLUMN),
            sql.Identifier("r", FLAG_COLUMN),
        ),
    )
