"""Statements that create and fill fragment tables from a live source table."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from psycopg import sql

from sg.adapters.postgres.catalog.relation import REGCLASS
from sg.adapters.postgres.objects.key_match import KeyShape
from sg.adapters.postgres.objects.tuple_image import ImageColumn, tuple_image
from sg.domain.column_schema import FLAG_COLUMN, FLAG_TYPE
from sg.domain.model import ColumnSpec, TableRef


def flag_image_column(ordinal: int) -> ImageColumn:
    """The image description of the trailing flag column."""
    return ImageColumn(ColumnSpec(ordinal, FLAG_COLUMN, FLAG_TYPE, False), "boolsend", True)


def create_fragment_table(
    target: TableRef, source: TableRef, columns: Sequence[ImageColumn]
) -> sql.Composable:
    """An empty fragment table with the source's column types (no constraints) plus the flag."""
    return sql.SQL("CREATE TABLE {} AS SELECT {}, NULL::boolean AS {} FROM {} WITH NO DATA").format(
        sql.Identifier(*target),
        _names(columns, "s"),
        sql.Identifier(FLAG_COLUMN),
        sql.SQL("{} AS s").format(sql.Identifier(*source)),
    )


def create_snapshot_table(
    target: TableRef, source: TableRef, columns: Sequence[ImageColumn], order: RowOrder
) -> sql.Composable:
    """Create `target` holding every source row as an upsert, in image order.

    One CREATE TABLE … AS, whose query PostgreSQL may run in parallel workers (an INSERT's
    may not): images and sort are shared among them, the leader writes the rows in order.
    The columns are the source's own (plain column references keep their types).
    """
    rows = sql.SQL("SELECT {}, true FROM {} AS s").format(
        _names(columns, "s"), sql.Identifier(*source)
    )
    return sql.SQL("CREATE TABLE {} AS {}").format(
        sql.Identifier(*target), _in_image_order(columns, rows, order)
    )


class RowOrder(Enum):
    """What a fill sorts its rows by to write them in image order."""

    IMAGE = "the images themselves"
    KEY = "a unique leading integer or uuid key (integers: non-negative ones first)"
    ASCENDING_KEY = "a unique leading integer key without negative values"


def key_order_check(
    source: TableRef, columns: Sequence[ImageColumn], *, signs: bool
) -> sql.Composable | None:
    """A query of one row, bound with `relation_args(source)`: (does the source's key hold
    each value once, does the key hold a negative value); the second is false unless
    `signs`. None when no integer or uuid key leads the row: the images decide then.

    A primary key holds each value once unless it is deferrable or other tables inherit
    from its table (partitions aside), whose rows a scan of the table includes. A writer
    adding a negative key before the copy only leaves it out of canonical order: loaders
    then prove its id on the server (the digest sorts the images itself).
    """
    key = _leading_key(columns)
    if key is None:
        return None
    negative: sql.Composable = sql.SQL("false")
    if signs and key in _SIGNED_INTEGERS:
        negative = sql.SQL(
            "EXISTS (SELECT 1 FROM {} AS s WHERE {} OPERATOR(pg_catalog.<) 0)"
        ).format(sql.Identifier(*source), sql.Identifier("s", columns[0].spec.name))
    return _KEY_ORDER.format(regclass=REGCLASS, negative=negative)


def row_order(unique: bool, negative: bool, signs: bool) -> RowOrder:
    """The order to fill by, from `key_order_check`'s answer (`signs` as passed to it)."""
    if not unique:
        return RowOrder.IMAGE
    return RowOrder.KEY if negative or not signs else RowOrder.ASCENDING_KEY


_KEY_ORDER = sql.SQL(
    """SELECT (c.relkind OPERATOR(pg_catalog.=) 'p' OR NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent OPERATOR(pg_catalog.=) c.oid))
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
            WHERE k.conrelid OPERATOR(pg_catalog.=) c.oid AND k.contype OPERATOR(pg_catalog.=) 'p'
                AND k.condeferrable),
        {negative}
    FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) {regclass}"""
)


def fill_fragment(
    target: TableRef,
    source: TableRef,
    keys_table: str,
    columns: Sequence[ImageColumn],
    shape: KeyShape,
    order: RowOrder,
) -> sql.Composable:
    """Insert the source's current state of every uploaded key, in image order.

    Rows whose key is uploaded become upserts. Each distinct uploaded key becomes a delete
    marker when the source no longer has it, and always for whole-row keys (whose upserts
    then restore every copy).
    """
    keys = sql.SQL("{} AS k").format(sql.Identifier("pg_temp", keys_table))
    upserts = sql.SQL(
        "SELECT {}, true FROM {} AS s WHERE EXISTS (SELECT 1 FROM {} WHERE {})"
    ).format(_names(columns, "s"), sql.Identifier(*source), keys, shape.matches("s", "k"))
    key_names = set(shape.names)
    marker_fields = sql.SQL(", ").join(
        sql.Identifier("k", c.spec.name) if c.spec.name in key_names else sql.NULL for c in columns
    )
    distinct = (
        sql.SQL("SELECT DISTINCT ON ({}) * FROM {}").format(
            sql.SQL(", ").join(shape.comparable("k")), keys
        )
        if shape.whole_row
        else sql.SQL("SELECT DISTINCT * FROM {}").format(keys)
    )
    markers = sql.SQL("SELECT {}, false FROM ({}) AS k").format(marker_fields, distinct)
    if not shape.whole_row:
        markers = sql.SQL("{} WHERE NOT EXISTS (SELECT 1 FROM {} AS s WHERE {})").format(
            markers, sql.Identifier(*source), shape.matches("s", "k")
        )
    return _insert_sorted(
        target, columns, sql.SQL("{} UNION ALL {}").format(upserts, markers), order
    )


def fill_staged_fragment(
    target: TableRef,
    source: TableRef,
    staged: str,
    columns: Sequence[ImageColumn],
    shape: KeyShape,
    order: RowOrder,
) -> sql.Composable:
    """Insert the source's current state of every staged key, in image order.

    `staged` (a temporary table of `change_staging`) holds distinct keys named like the
    source's key columns and a flag telling whether the key has a row now. A present key
    becomes its row and an absent one a delete marker; a whole-row key always becomes a
    marker plus one upsert per copy the source holds now.
    """
    keys = sql.SQL("{} AS k").format(sql.Identifier("pg_temp", staged))
    flag = sql.Identifier("k", FLAG_COLUMN)
    key_names = set(shape.names)
    marker_fields = sql.SQL(", ").join(
        sql.Identifier("k", c.spec.name) if c.spec.name in key_names else sql.NULL for c in columns
    )
    markers = sql.SQL("SELECT {}, false FROM {}").format(marker_fields, keys)
    if shape.whole_row:
        upserts = sql.SQL(
            "SELECT {}, true FROM {} AS s WHERE EXISTS (SELECT 1 FROM {} WHERE {})"
        ).format(_names(columns, "s"), sql.Identifier(*source), keys, shape.matches("s", "k"))
    else:
        upserts = sql.SQL("SELECT {}, true FROM {} AS s JOIN {} ON {} WHERE {}").format(
            _names(columns, "s"), sql.Identifier(*source), keys, shape.matches("s", "k"), flag
        )
        markers = sql.SQL("{} WHERE NOT {}").format(markers, flag)
    return _insert_sorted(
        target, columns, sql.SQL("{} UNION ALL {}").format(upserts, markers), order
    )


def fragment_image_columns(columns: Sequence[ImageColumn]) -> list[ImageColumn]:
    """A fragment's columns for its images: the source's `columns`, then the flag."""
    return [*columns, flag_image_column(len(columns) + 1)]


def _insert_sorted(
    target: TableRef, columns: Sequence[ImageColumn], rows: sql.Composable, order: RowOrder
) -> sql.Composable:
    """Insert `rows` (the columns, then the flag) in image order."""
    # Rows go in by image so that the heap order is the canonical order: a binary COPY of
    # the table then streams its rows in the order the content digest uses. The digest is a
    # second statement over the filled table (`tuple_image.digest_row`): sorting the images
    # alone again costs less than carrying whole rows through a materialised CTE and two
    # more sorts.
    every = fragment_image_columns(columns)
    return sql.SQL("INSERT INTO {} ({}) {}").format(
        sql.Identifier(*target),
        sql.SQL(", ").join(sql.Identifier(c.spec.name) for c in every),
        _in_image_order(columns, rows, order),
    )


def _in_image_order(
    columns: Sequence[ImageColumn], rows: sql.Composable, order: RowOrder
) -> sql.Composable:
    """SELECT `rows` (the columns, then the flag) sorted by image, under the columns' names.

    Inside, the rows' columns get generic names so that none can collide with another.
    """
    every = fragment_image_columns(columns)
    generic = _generic(every)
    return sql.SQL("SELECT {fields} FROM ({rows}) AS f ({generic}) ORDER BY {image}").format(
        fields=sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(
                sql.Identifier("f", g.spec.name), sql.Identifier(c.spec.name)
            )
            for g, c in zip(generic, every, strict=True)
        ),
        rows=rows,
        generic=sql.SQL(", ").join(sql.Identifier(c.spec.name) for c in generic),
        image=_image_order("f", generic, order),
    )


def _image_order(alias: str, columns: Sequence[ImageColumn], order: RowOrder) -> sql.Composable:
    """ORDER BY terms that put rows of `alias` in image order.

    With a unique integer or uuid key leading the row, every image starts with the same
    field count and key length, so the key's bytes decide: comparing the keys themselves
    spares building and comparing the images.
    """
    lead = sql.Identifier(alias, columns[0].spec.name)
    key = _leading_key(columns)
    if order is RowOrder.IMAGE or key is None:
        return tuple_image(alias, columns)
    if order is RowOrder.KEY and key in _SIGNED_INTEGERS:
        # Big-endian two's complement: non-negative values, then negative ones, each ascending.
        return sql.SQL("({} OPERATOR(pg_catalog.<) 0), {}").format(lead, lead)
    return lead  # ascending integers, or uuids, which compare bytewise


def _leading_key(columns: Sequence[ImageColumn]) -> str | None:
    """The send function of a single integer or uuid key leading the row, else None."""
    key = [c for c in columns if c.spec.is_pk]
    if key == [columns[0]] and key[0].send_function in _KEY_SENDS:
        return key[0].send_function
    return None


_SIGNED_INTEGERS = frozenset({"int2send", "int4send", "int8send"})
_KEY_SENDS = _SIGNED_INTEGERS | {"uuid_send"}


def _generic(columns: Sequence[ImageColumn]) -> list[ImageColumn]:
    """The columns named c1, c2, ...: no name can then collide with another in a query."""
    return [c._replace(spec=c.spec._replace(name=f"c{n}")) for n, c in enumerate(columns, 1)]


def _names(columns: Sequence[ImageColumn], alias: str) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(alias, c.spec.name) for c in columns)
