"""Row images and content digests computed by the server.

A row's *tuple image* is the row exactly as `COPY ... (FORMAT binary)` writes it (field
count, then length and send-function bytes per field, -1 for NULL). For columns of
user-defined types, whose binary form embeds server-specific oids, the image uses the
text form instead, under pinned settings. The digest follows `sg.domain.content_digest`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from psycopg import sql

from sg.adapters.postgres.relation import REGCLASS, relation_args
from sg.domain.content_digest import BLOCK_BYTES
from sg.domain.errors import EngineNotInitializedError, TableNotFoundError, UndefinedObjectError
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
        SELECT b.attnum, t.oid, t.typsend,
            CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END AS elem
        FROM base b JOIN pg_catalog.pg_type t ON t.oid = b.typ WHERE t.typtype <> 'd'
    )
    SELECT c.attnum, c.attname, sg_meta.qualified_type(c.atttypid, c.atttypmod),
        coalesce(c.attnum = ANY(i.indkey), false),
        CASE WHEN r.oid < 16384 THEN p.proname END,  -- FirstNormalObjectId: built-ins
        e.typtype IN ('e', 'r', 'm', 'c') OR EXISTS (
            SELECT 1 FROM pg_catalog.pg_opclass oc
            JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod
            WHERE am.amname = 'btree' AND oc.opcdefault AND (oc.opcintype = e.oid
                OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast k WHERE k.castsource = e.oid
                    AND k.casttarget = oc.opcintype AND k.castmethod = 'b')))
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


def image_columns(runner: SqlRunner, table: TableRef) -> list[ImageColumn]:
    """The table's columns in order; `TableNotFoundError` when it does not exist."""
    try:
        rows = runner.run(_COLUMNS, relation_args(table), ResultShape.MANY_MANY)
    except UndefinedObjectError as exc:  # only sg_meta.qualified_type can be missing here
        raise EngineNotInitializedError(
            f"the engine's database lacks sg's schemas; run initialize() first ({exc})"
        ) from exc
    if not rows:
        raise TableNotFoundError.named(*table)
    return [
        ImageColumn(ColumnSpec(int(n), str(name), str(kind), bool(pk)), send, bool(eq))
        for n, name, kind, pk, send, eq in rows
    ]


def is_copy_canonical(columns: Sequence[ImageColumn]) -> bool:
    """True when the images are byte for byte what binary COPY writes."""
    return all(c.send_function is not None for c in columns)


def field_image(value: sql.Composable, column: ImageColumn) -> sql.Composable:
    """The length-prefixed bytes of one field (-1 when NULL), as binary COPY writes them."""
    if column.send_function is None:
        sent = sql.SQL("pg_catalog.textsend(({})::text)").format(value)
    else:
        sent = sql.SQL("{}({})").format(sql.Identifier("pg_catalog", column.send_function), value)
    return sql.SQL(
        "coalesce(pg_catalog.int4send(pg_catalog.octet_length({sent})) || {sent},"
        " '\\xffffffff'::bytea)"
    ).format(sent=sent)


def tuple_image(alias: str, columns: Sequence[ImageColumn]) -> sql.Composable:
    """The image of a row of `alias` with these columns."""
    fields = [field_image(sql.Identifier(alias, c.spec.name), c) for c in columns]
    count = sql.SQL("pg_catalog.int2send({}::int2)").format(sql.Literal(len(columns)))
    return sql.SQL(" || ").join([count, *fields])


def content_digest(
    runner: SqlRunner, table: TableRef, columns: Sequence[ImageColumn]
) -> ContentDigest:
    """Row count and content digest of `table`; run it under the canonical settings."""
    query = _DIGEST.format(
        image=tuple_image("t", columns),
        table=sql.Identifier(*table),
        block=sql.Literal(BLOCK_BYTES),
    )
    rows, digest = runner.run(query, None, ResultShape.ONE_MANY)
    return ContentDigest(int(rows), bytes(digest))


# Sort the images, give each its byte offset in the concatenated body, cut the body into
# fixed blocks (an image spanning a boundary is split), hash each block, hash the hashes.
_DIGEST = sql.SQL(
    """WITH placed AS (
        SELECT b, sum(pg_catalog.octet_length(b)) OVER (ORDER BY b ROWS UNBOUNDED PRECEDING)
            - pg_catalog.octet_length(b) AS off
        FROM (SELECT {image} AS b FROM {table} AS t) AS images
    ), pieces AS (
        SELECT off / {block} AS blk, off, 0::bigint AS part, b AS piece FROM placed
        WHERE off / {block} = (off + pg_catalog.octet_length(b) - 1) / {block}
        UNION ALL
        SELECT k, off, k, pg_catalog.substr(b,
            (greatest(k * {block}, off) - off + 1)::int,
            (least((k + 1) * {block}, off + pg_catalog.octet_length(b))
                - greatest(k * {block}, off))::int)
        FROM placed
        CROSS JOIN LATERAL pg_catalog.generate_series(
            off / {block}, (off + pg_catalog.octet_length(b) - 1) / {block}) AS k
        WHERE off / {block} <> (off + pg_catalog.octet_length(b) - 1) / {block}
    ), blocks AS (
        SELECT blk, pg_catalog.sha256(pg_catalog.string_agg(piece, ''::bytea ORDER BY off, part))
            AS d
        FROM pieces GROUP BY blk
    )
    SELECT (SELECT count(*) FROM placed),
        pg_catalog.sha256(coalesce(pg_catalog.string_agg(d, ''::bytea ORDER BY blk), ''::bytea))
    FROM blocks"""
)
