"""Statements that create and fill fragment tables from a live source table."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

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
    target: TableRef,
    source: TableRef,
    columns: Sequence[ImageColumn],
    *,
    negative_keys: bool = True,
) -> sql.Composable:
    """Create `target` holding every source row as an upsert, in image order.

    One CREATE TABLE … AS, whose query PostgreSQL may run in parallel workers (an INSERT's
    may not): images and sort are shared among them, the leader writes the rows in order.
    The columns are the source's own (plain column references keep their types). Pass
    `negative_keys=False` when a leading integer key has no negative value
    (`negative_key_check`): its index may then give the order without a sort.
    """
    rows = sql.SQL("SELECT {}, true FROM {} AS s").format(
        _names(columns, "s"), sql.Identifier(*source)
    )
    return sql.SQL("CREATE TABLE {} AS {}").format(
        sql.Identifier(*target), _in_image_order(columns, rows, negative_keys)
    )


def negative_key_check(source: TableRef, columns: Sequence[ImageColumn]) -> sql.Composable | None:
    """A query: does the source's leading integer key hold a negative value? None when the
    table's image order does not depend on the answer.

    A writer adding a negative key before the copy only leaves the copy out of canonical
    order: loaders then prove its id on the server (the digest sorts the images itself).
    """
    if _integer_key(columns) is None:
        return None
    return sql.SQL(
        "SELECT EXISTS (SELECT 1 FROM {} AS s WHERE {} OPERATOR(pg_catalog.<) 0)"
    ).format(sql.Identifier(*source), sql.Identifier("s", columns[0].spec.name))


def fill_fragment(
    target: TableRef,
    source: TableRef,
    keys_table: str,
    columns: Sequence[ImageColumn],
    shape: KeyShape,
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
    return _insert_sorted(target, columns, sql.SQL("{} UNION ALL {}").format(upserts, markers))


def fill_staged_fragment(
    target: TableRef,
    source: TableRef,
    staged: str,
    columns: Sequence[ImageColumn],
    shape: KeyShape,
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
    return _insert_sorted(target, columns, sql.SQL("{} UNION ALL {}").format(upserts, markers))


def fragment_image_columns(columns: Sequence[ImageColumn]) -> list[ImageColumn]:
    """A fragment's columns for its images: the source's `columns`, then the flag."""
    return [*columns, flag_image_column(len(columns) + 1)]


def _insert_sorted(
    target: TableRef, columns: Sequence[ImageColumn], rows: sql.Composable
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
        _in_image_order(columns, rows),
    )


def _in_image_order(
    columns: Sequence[ImageColumn], rows: sql.Composable, negative_keys: bool = True
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
        image=_image_order("f", generic, negative_keys),
    )


def _image_order(alias: str, columns: Sequence[ImageColumn], negative_keys: bool) -> sql.Composable:
    """ORDER BY terms that put rows of `alias` (no two with one key) in image order.

    The image itself, unless a single integer or uuid key leads the row: every image then
    starts with the same field count and key length, so the key's bytes decide, and
    comparing the keys themselves spares building and comparing the images.
    """
    lead = sql.Identifier(alias, columns[0].spec.name)
    if _integer_key(columns) is not None:
        if not negative_keys:
            return lead
        # Big-endian two's complement: non-negative values, then negative ones, each ascending.
        return sql.SQL("({} OPERATOR(pg_catalog.<) 0), {}").format(lead, lead)
    key = [c for c in columns if c.spec.is_pk]
    if key == [columns[0]] and key[0].send_function == "uuid_send":
        return lead  # uuids compare bytewise
    return tuple_image(alias, columns)


def _integer_key(columns: Sequence[ImageColumn]) -> ImageColumn | None:
    """The table's key when it is a single integer column leading the row."""
    key = [c for c in columns if c.spec.is_pk]
    if key == [columns[0]] and key[0].send_function in _SIGNED_INTEGERS:
        return key[0]
    return None


_SIGNED_INTEGERS = frozenset({"int2send", "int4send", "int8send"})


def _generic(columns: Sequence[ImageColumn]) -> list[ImageColumn]:
    """The columns named c1, c2, ...: no name can then collide with another in a query."""
    return [c._replace(spec=c.spec._replace(name=f"c{n}")) for n, c in enumerate(columns, 1)]


def _names(columns: Sequence[ImageColumn], alias: str) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(alias, c.spec.name) for c in columns)
