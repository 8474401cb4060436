"""Row images and content digests computed by the server.

A row's *tuple image* is the row in binary COPY layout (field count, then length and bytes
per field, -1 for NULL) where each field holds the *canonical* bytes of its value, as
`sg.domain.content_digest` defines them:

- built-in types whose send function writes nothing but the value (integers, numeric,
  text, bytea, timestamps, intervals, uuid, jsonb, ranges, ...): the send function's
  bytes, exactly what binary COPY writes;
- `float4`/`float8`: the send bytes, except that every NaN is written as the standard NaN
  (`7fc00000` / `7ff8000000000000`), whatever sign or payload the stored NaN carries;
- arrays and the geometric types of the built-in catalog: the send bytes of the value
  re-read from its text form, which drops the has-nulls flag of an array without NULLs
  and normalises NaN coordinates and elements, and keeps lower bounds and dimensions;
- user-defined types, and the catalog's own composite row types, whose binary forms embed
  server-specific oids: the UTF-8 text form.

Text forms are taken under `CANONICAL_SETTINGS`, so that they do not depend on the session.
Binary COPY of a value and its canonical bytes agree except in the cases above; a loader
that hashes a received COPY stream therefore proves most objects from the stream alone, and
asks the server for the canonical digest when the bytes it saw were not canonical.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from psycopg import sql

from sg.adapters.postgres.catalog.installation import installed
from sg.adapters.postgres.catalog.relation import REGCLASS, inherited_size, relation_args
from sg.adapters.postgres.catalog.text_form import as_text
from sg.domain.content_digest import BLOCK_BYTES
from sg.domain.errors import DatabaseError, TableNotFoundError
from sg.domain.model import ColumnSpec, ResultShape, TableRef
from sg.domain.object_record import ContentDigest
from sg.ports.sql import SqlRunner

_COLUMNS = sql.SQL(
    """WITH RECURSIVE cols AS (
        SELECT a.attnum, a.attname, a.atttypid, a.atttypmod FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = {regclass} AND a.attnum > 0 AND NOT a.attisdropped
    ), base AS (
        SELECT attnum, atttypid AS typ FROM cols
        UNION ALL
        SELECT b.attnum, t.typbasetype FROM base b
        JOIN pg_catalog.pg_type t ON t.oid = b.typ WHERE t.typtype = 'd'
    ), resolved AS (
        SELECT b.attnum, t.oid, t.typsend, t.typtype, t.typname,
            CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END AS elem
        FROM base b JOIN pg_catalog.pg_type t ON t.oid = b.typ WHERE t.typtype <> 'd'
    )
    SELECT c.attnum, c.attname, sg_meta.qualified_type(c.atttypid, c.atttypmod),
        coalesce(c.attnum = ANY(i.indkey), false),
        -- FirstNormalObjectId: built-ins; composite row types embed their columns' oids
        CASE WHEN r.oid < 16384 AND r.typtype <> 'c' THEN p.proname END,
        e.typtype IN ('e', 'r', 'm', 'c') OR EXISTS (
            SELECT 1 FROM pg_catalog.pg_opclass oc
            JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod
            WHERE am.amname = 'btree' AND oc.opcdefault AND (oc.opcintype = e.oid
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast k WHERE k.castsource = e.oid
                    AND k.casttarget = oc.opcintype AND k.castmethod = 'b'))),
        r.typname
    FROM cols c
    JOIN resolved r ON r.attnum = c.attnum
    JOIN pg_catalog.pg_proc p ON p.oid = r.typsend
    JOIN pg_catalog.pg_type e ON e.oid = r.elem
    LEFT JOIN pg_catalog.pg_index i ON i.indrelid = {regclass} AND i.indisprimary
    ORDER BY c.attnum"""
).format(regclass=REGCLASS)


class ImageColumn(NamedTuple):
    """A column with what its image and its key comparison need."""

    spec: ColumnSpec
    send_function: str | None  # the builtin send function, None for user-defined types
    has_equality: bool  # False: compare it as text (json, xml, point, ...)
    base_type: str | None = None  # the built-in type's name in pg_catalog (after domains)


def image_columns(runner: SqlRunner, table: TableRef) -> list[ImageColumn]:
    """The table's columns in order; `TableNotFoundError` when it does not exist."""
    with installed("sg's schemas"):  # only sg_meta.qualified_type can be missing here
        rows = runner.run(_COLUMNS, relation_args(table), ResultShape.MANY_MANY)
    if not rows:
        raise TableNotFoundError.named(*table)
    return [
        ImageColumn(ColumnSpec(int(n), str(name), str(kind), bool(pk)), send, bool(eq), base)
        for n, name, kind, pk, send, eq, base in rows
    ]


def is_copy_canonical(columns: Sequence[ImageColumn]) -> bool:
    """True when binary COPY writes every canonical value as its image: a COPY stream can
    then prove an object's id (unless it carries values in non-canonical form)."""
    return all(c.send_function is not None for c in columns)


def field_image(value: sql.Composable, column: ImageColumn) -> sql.Composable:
    """The length-prefixed canonical bytes of one field (-1 when NULL)."""
    sent = canonical_bytes(value, column)
    width = _FIXED_WIDTH.get(column.send_function or "")
    if width is not None:  # a constant length, and the send function runs once
        length = sql.Literal(width.to_bytes(4, "big"))
        return sql.SQL("coalesce({} || {}, '\\xffffffff'::bytea)").format(length, sent)
    return sql.SQL(
        "coalesce(pg_catalog.int4send(pg_catalog.octet_length({sent})) || {sent},"
        " '\\xffffffff'::bytea)"
    ).format(sent=sent)


# Built-in send functions whose bytes always have this length.
_FIXED_WIDTH = {
    "boolsend": 1, "int2send": 2, "int4send": 4, "oidsend": 4, "float4send": 4,
    "date_send": 4, "int8send": 8, "float8send": 8, "cash_send": 8, "time_send": 8,
    "timestamp_send": 8, "timestamptz_send": 8, "timetz_send": 12, "interval_send": 16,
    "uuid_send": 16,
}  # fmt: skip


def canonical_bytes(value: sql.Composable, column: ImageColumn) -> sql.Composable:
    """The canonical bytes of a non-NULL value of `column` (NULL for NULL)."""
    send = column.send_function
    if send is None:
        # The output function, never a cast: a cast to text may be the type owner's code.
        return sql.SQL("pg_catalog.textsend({})").format(as_text(value))
    function = sql.Identifier("pg_catalog", send)
    if send in _FLOAT_NAN:
        kind, nan = _FLOAT_NAN[send]
        return sql.SQL(
            "CASE WHEN ({v})::pg_catalog.{k} OPERATOR(pg_catalog.=) 'NaN'::pg_catalog.{k}"
            " THEN {nan} ELSE {f}({v}) END"
        ).format(v=value, k=sql.SQL(kind), nan=sql.Literal(nan), f=function)
    if send in _REREAD_FROM_TEXT and column.base_type is not None:
        return sql.SQL("{}((({})::pg_catalog.text)::{})").format(
            function, value, sql.Identifier("pg_catalog", column.base_type)
        )
    return sql.SQL("{}({})").format(function, value)


# The standard quiet NaN of each float type, as its send function writes it.
_FLOAT_NAN = {
    "float4send": ("float4", bytes.fromhex("7fc00000")),
    "float8send": ("float8", bytes.fromhex("7ff8000000000000")),
}
# Send functions whose bytes can differ for values with the same text form: array_send (the
# has-nulls flag; elements such as floats) and the geometric types (float coordinates).
_REREAD_FROM_TEXT = frozenset(
    {
        "array_send", "point_send", "lseg_send", "path_send", "box_send", "poly_send",
        "line_send", "circle_send",
    }
)  # fmt: skip


def tuple_image(alias: str, columns: Sequence[ImageColumn]) -> sql.Composable:
    """The image of a row of `alias` with these columns."""
    fields = [field_image(sql.Identifier(alias, c.spec.name), c) for c in columns]
    count = sql.SQL("pg_catalog.int2send({}::int2)").format(sql.Literal(len(columns)))
    return sql.SQL(" || ").join([count, *fields])


def content_digest(
    runner: SqlRunner, table: TableRef, columns: Sequence[ImageColumn]
) -> ContentDigest:
    """Row count and content digest of `table`; run it under the canonical settings."""
    rows, digest = digest_row(runner, table, columns)
    return ContentDigest(int(rows), bytes(digest))


# Bodies of tables up to this size on disk are put together whole in server memory (two to
# three times the body at the peak) and hashed block by block: one sort of the images. Larger
# tables go through blocks placed by a window (two sorts), in memory that work_mem bounds.
WHOLE_BODY_LIMIT = 256 * 2**20
# The errors of a body that outgrew memory after all (TOAST compression hides a body's size):
# a string longer than 1 GB, an allocation the server refused, and the internal error of a
# body within 4 bytes of 1 GB, whose result then cannot be allocated. Falling back is safe
# for any error: both forms give the same digest, and the other form reports its own.
_BODY_TOO_LARGE = frozenset({"54000", "53200", "XX000"})


def digest_row(
    runner: SqlRunner,
    table: TableRef,
    columns: Sequence[ImageColumn],
    counted_flag: str | None = None,
) -> tuple[Any, ...]:
    """`digest_query`'s row for `table`, by the whole body when it is small enough."""
    if inherited_size(runner, table) <= WHOLE_BODY_LIMIT:
        try:
            with runner.savepoint():
                whole = digest_query(table, columns, counted_flag, whole_body=True)
                return tuple(runner.run(whole, None, ResultShape.ONE_MANY))
        except DatabaseError as error:
            if error.sqlstate not in _BODY_TOO_LARGE:
                raise
    placed = digest_query(table, columns, counted_flag, whole_body=False)
    return tuple(runner.run(placed, None, ResultShape.ONE_MANY))


def digest_query(
    table: TableRef,
    columns: Sequence[ImageColumn],
    counted_flag: str | None = None,
    *,
    whole_body: bool = True,
) -> sql.Composable:
    """One row: the row count and the content digest of `table`, after the upserts and the
    delete markers when `counted_flag` names the boolean flag column to count them by.

    Both forms give the same digest. `whole_body` sorts the images once, joins them into one
    value (at most 1 GB) and hashes its blocks; otherwise each image's offset in the body
    comes from a window and the blocks from a second sort of the pieces.
    """
    flag = sql.Identifier("t", counted_flag) if counted_flag else sql.SQL("NULL::boolean")
    image = tuple_image("t", columns)
    if whole_body:
        counts = sql.SQL("s.u, s.d, ") if counted_flag else sql.SQL("")
        return _WHOLE_BODY.format(
            counts=counts,
            image=image,
            flag=flag,
            table=sql.Identifier(*table),
            block=sql.Literal(BLOCK_BYTES),
        )
    # One scan of the images counts everything; its single row is read once per column.
    counts = (
        sql.SQL("(SELECT u FROM counted), (SELECT d FROM counted), ")
        if counted_flag
        else sql.SQL("")
    )
    return sql.SQL(
        """WITH placed AS (
            SELECT b, f, {off} AS off FROM (
                SELECT {image} AS b, {flag} AS f FROM {table} AS t) AS images
        ), counted AS (
            SELECT pg_catalog.count(*) FILTER (WHERE f) AS u,
                pg_catalog.count(*) FILTER (WHERE NOT f) AS d, pg_catalog.count(*) AS n
            FROM placed
        ), {blocks}
        SELECT {counts}(SELECT n FROM counted), {digest} FROM blocks"""
    ).format(
        off=image_offset(sql.Identifier("b")),
        image=image,
        flag=flag,
        table=sql.Identifier(*table),
        blocks=digest_blocks("placed"),
        counts=counts,
        digest=BLOCKS_DIGEST,
    )


# The images sorted by the aggregate itself, which alone guarantees their order (the
# subquery's ORDER BY lets parallel workers build and pre-sort them, and PostgreSQL 16 and
# later then skip the aggregate's own sort), joined into the body; then each block of the
# body is hashed, and the digest hashes the hashes.
_WHOLE_BODY = sql.SQL(
    """SELECT {counts}s.n, (
        SELECT pg_catalog.sha256(coalesce(pg_catalog.string_agg(
            pg_catalog.sha256(pg_catalog.substr(s.body, (k * {block} + 1)::int, {block})),
            ''::bytea ORDER BY k), ''::bytea))
        FROM pg_catalog.generate_series(0, (pg_catalog.octet_length(s.body) - 1) / {block}) AS k
    ) FROM (
        SELECT pg_catalog.string_agg(b, ''::bytea ORDER BY b) AS body,
            pg_catalog.count(*) FILTER (WHERE f) AS u,
            pg_catalog.count(*) FILTER (WHERE NOT f) AS d, pg_catalog.count(*) AS n
        FROM (SELECT {image} AS b, {flag} AS f FROM {table} AS t ORDER BY 1) AS images
    ) AS s"""
)


def image_offset(image: sql.Composable) -> sql.Composable:
    """A window expression: the byte offset of `image` in the body of images sorted bytewise."""
    return sql.SQL(
        "pg_catalog.sum(pg_catalog.octet_length({b})) OVER (ORDER BY {b} ROWS UNBOUNDED PRECEDING)"
        " - pg_catalog.octet_length({b})"
    ).format(b=image)


def digest_blocks(placed: str) -> sql.Composable:
    """CTEs `pieces` and `blocks` (the SHA-256 `d` of each block `blk` of the body) over the
    CTE named `placed`, which has each image `b` and its offset `off` in the body."""
    return _BLOCKS.format(placed=sql.Identifier(placed), block=sql.Literal(BLOCK_BYTES))


# The content digest from the CTE `blocks` of `digest_blocks`.
BLOCKS_DIGEST = sql.SQL(
    "pg_catalog.sha256(coalesce(pg_catalog.string_agg(d, ''::bytea ORDER BY blk), ''::bytea))"
)

# Cut the body of sorted images into fixed blocks (an image spanning a boundary is split),
# hash each block; the digest hashes the hashes.
_BLOCKS = sql.SQL(
    """pieces AS (
        SELECT off / {block} AS blk, off, 0::bigint AS part, b AS piece FROM {placed}
        WHERE off / {block} = (off + pg_catalog.octet_length(b) - 1) / {block}
        UNION ALL
        SELECT k, off, k, pg_catalog.substr(b,
            (greatest(k * {block}, off) - off + 1)::int,
            (least((k + 1) * {block}, off + pg_catalog.octet_length(b))
                - greatest(k * {block}, off))::int)
        FROM {placed}
        CROSS JOIN LATERAL pg_catalog.generate_series(
            off / {block}, (off + pg_catalog.octet_length(b) - 1) / {block}) AS k
        WHERE off / {block} <> (off + pg_catalog.octet_length(b) - 1) / {block}
    ), blocks AS (
        SELECT blk, pg_catalog.sha256(pg_catalog.string_agg(piece, ''::bytea ORDER BY off, part))
            AS d
        FROM pieces GROUP BY blk
    )"""
)
