"""The fragment-storage port over PostgreSQL: fragment tables, digests and apply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql

from sg.adapters.postgres.catalog.relation import relation_args, relation_size
from sg.adapters.postgres.catalog.trust import (
    require_plain_source,
    require_trusted_target,
    require_trusted_types,
)
from sg.adapters.postgres.catalog.type_names import check_type_name
from sg.adapters.postgres.objects import fragment_apply, fragment_sql
from sg.adapters.postgres.objects.key_match import KeyShape
from sg.adapters.postgres.objects.key_upload import uploaded_keys
from sg.adapters.postgres.objects.tuple_image import (
    ImageColumn,
    content_digest,
    digest_row,
    image_columns,
)
from sg.adapters.postgres.session.postgres_session import PostgresSession
from sg.adapters.postgres.session.session_settings import CANONICAL_SETTINGS, pinned_settings
from sg.adapters.postgres.session.statements import as_query
from sg.domain.column_schema import FLAG_COLUMN, with_flag
from sg.domain.errors import CorruptDumpError, InvalidIdentifierError, UndefinedObjectError
from sg.domain.model import ColumnSpec, ResultShape, RowFilter, StagedKeys, TableRef
from sg.domain.object_record import ContentDigest, FragmentInfo

# Digests sort every row image once; give that sort room and skip JIT compilation, which
# costs more than it saves on these one-pass queries. The whole body a digest builds (up to
# `WHOLE_BODY_LIMIT`) is held apart from work_mem: at 2M rows (a 200 MB body) its statement
# peaked at 580 MB over the server's processes with 64MB, 720 MB with 256MB, as fast.
_DIGEST_SETTINGS = {**CANONICAL_SETTINGS, "work_mem": "64MB", "jit": "off"}
# Filling a fragment sorts its rows (for the heap order): at 500k rows of five columns that
# sort by image spilled 100 MB to disk with 64MB.
_FILL_SETTINGS = {**CANONICAL_SETTINGS, "work_mem": "256MB", "jit": "off"}

_MISSING = sql.SQL(
    "SELECT o FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS u(s, t, o)"
    " WHERE to_regclass(quote_ident(s) || '.' || quote_ident(t)) IS NULL ORDER BY o"
)


class PostgresFragmentStore:
    """Fragment tables in the engine's database, through the SQL port."""

    def __init__(self, runner: PostgresSession) -> None:
        self._sql = runner

    def columns(self, table: TableRef) -> list[ColumnSpec]:
        """Columns in order with key flags and types spelled the same on every server."""
        return [c.spec for c in image_columns(self._sql, table)]

    def missing(self, tables: Sequence[TableRef]) -> list[TableRef]:
        """Those of `tables` that do not exist, in the order given."""
        if not tables:
            return []
        found = self._sql.run(
            _MISSING, [[t.schema for t in tables], [t.table for t in tables]], ResultShape.MANY_ONE
        )
        return [tables[int(position) - 1] for position in found]

    def create_fragment(
        self, target: TableRef, source: TableRef, keys: Sequence[tuple[Any, ...]]
    ) -> FragmentInfo:
        """Create `target` holding the source's current state of every key in `keys`."""
        columns = self._source_columns(source)
        shape = KeyShape.of(columns)
        self._run(fragment_sql.create_fragment_table(target, source, columns))
        order = self._row_order(source, columns, signs=False)
        with (
            pinned_settings(self._sql, _FILL_SETTINGS),
            uploaded_keys(self._sql, source, shape, keys) as keys_table,
        ):
            self._run(fragment_sql.fill_fragment(target, source, keys_table, columns, shape, order))
        return self._filled(target, columns)

    def create_staged_fragment(
        self, target: TableRef, source: TableRef, keys: StagedKeys
    ) -> FragmentInfo:
        """Create `target` from keys a capture adapter staged in a temporary table."""
        columns = self._source_columns(source)
        self._run(fragment_sql.create_fragment_table(target, source, columns))
        order = self._row_order(source, columns, signs=False)
        with pinned_settings(self._sql, _FILL_SETTINGS):
            self._run(
                fragment_sql.fill_staged_fragment(
                    target, source, keys.handle, columns, KeyShape.of(columns), order
                )
            )
        return self._filled(target, columns)

    def create_snapshot(self, target: TableRef, source: TableRef) -> FragmentInfo:
        """Create `target` holding every row of `source` as an upsert."""
        columns = self._source_columns(source)
        # Without negative keys the order is the key's own, which its index may give.
        order = self._row_order(source, columns, signs=True)
        with pinned_settings(self._sql, _FILL_SETTINGS):
            self._run(fragment_sql.create_snapshot_table(target, source, columns, order))
        return self._filled(target, columns)

    def create_table(self, table: TableRef, columns: Sequence[ColumnSpec], with_key: bool) -> None:
        """Create an empty table with exactly these columns, type names checked first."""
        parts = [
            sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(check_type_name(c.type)))
            for c in columns
        ]
        require_trusted_types(self._sql, [c.type for c in columns])
        key = [sql.Identifier(c.name) for c in columns if c.is_pk]
        if with_key and key:
            parts.append(sql.SQL("PRIMARY KEY ({})").format(sql.SQL(", ").join(key)))
        self._run(
            sql.SQL("CREATE TABLE {} ({})").format(
                sql.Identifier(*table), sql.SQL(", ").join(parts)
            )
        )
        created = [(c.name, c.type) for c in self.columns(table)]
        if created != [(c.name, c.type) for c in columns]:
            raise CorruptDumpError(
                f"the dump's column types do not read back the same on this server: {created}"
            )

    def add_primary_key(self, table: TableRef, key: Sequence[str]) -> None:
        """ALTER TABLE … ADD PRIMARY KEY: one index build over the rows already there."""
        self._run(
            sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                sql.Identifier(*table), sql.SQL(", ").join(map(sql.Identifier, key))
            )
        )

    def content_digest(self, table: TableRef) -> ContentDigest:
        """Row count and content digest, under settings that make them server-independent."""
        columns = image_columns(self._sql, table)
        with pinned_settings(self._sql, _DIGEST_SETTINGS):
            return content_digest(self._sql, table, columns)

    def flag_counts(self, table: TableRef) -> tuple[int, int]:
        """`(upserts, delete markers)` of a fragment table."""
        flag = sql.Identifier(FLAG_COLUMN)
        upserts, deletes = self._sql.run(
            sql.SQL(
                "SELECT count(*) FILTER (WHERE {}), count(*) FILTER (WHERE NOT {}) FROM {}"
            ).format(flag, flag, sql.Identifier(*table)),
            None,
            ResultShape.ONE_MANY,
        )
        return int(upserts), int(deletes)

    def table_size(self, table: TableRef) -> int:
        """Bytes on disk, indexes and TOAST included."""
        return relation_size(self._sql, table)

    def block_writers(self, table: TableRef) -> None:
        """Keep others from writing `table` until the transaction ends (reads go on)."""
        self._run(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(sql.Identifier(*table)))

    def rename(self, table: TableRef, new_name: str) -> None:
        """Rename `table` within its schema."""
        self._run(
            sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                sql.Identifier(*table), sql.Identifier(new_name)
            )
        )

    def drop(self, table: TableRef) -> None:
        """Drop `table`."""
        self._run(sql.SQL("DROP TABLE {}").format(sql.Identifier(*table)))

    def apply(
        self,
        fragments: Sequence[TableRef],
        target: TableRef,
        key: Sequence[str] | None,
        row_filter: RowFilter | None,
    ) -> None:
        """Apply fragments in order with one DELETE and one INSERT, all or nothing."""
        columns = [c for c in image_columns(self._sql, fragments[0]) if c.spec.name != FLAG_COLUMN]
        if key is None:
            key = [c.spec.name for c in image_columns(self._sql, target) if c.spec.is_pk]
        unknown = [name for name in key if name not in {c.spec.name for c in columns}]
        if unknown:
            raise UndefinedObjectError(f"the fragments lack the key column(s) {unknown}")
        shape = KeyShape.of(columns, key)
        quals = self._bind(row_filter)
        require_trusted_target(self._sql, target)
        with self._sql.savepoint():
            if self._sql.run(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(*target)),
                None,
                ResultShape.ONE_ONE,
            ):
                self._run(fragment_apply.delete_mentioned(fragments, target, shape))
            self._run(fragment_apply.insert_last_upserts(fragments, target, columns, shape, quals))

    def _bind(self, row_filter: RowFilter | None) -> sql.Composable | None:
        """The quals with their arguments bound client-side, so that nothing else in the
        statement is parsed for placeholders (identifiers may contain `%`)."""
        if row_filter is None:
            return None
        if not isinstance(row_filter.condition, str | sql.Composable):
            raise TypeError("a row filter's condition must be str or psycopg.sql.Composable")
        if not row_filter.arguments:
            return as_query(row_filter.condition)
        return self._sql.bind(row_filter.condition, row_filter.arguments)

    def _source_columns(self, source: TableRef) -> list[ImageColumn]:
        require_plain_source(self._sql, source)
        columns = image_columns(self._sql, source)
        if any(c.spec.name == FLAG_COLUMN for c in columns):
            raise InvalidIdentifierError(
                f"{source} has a column named {FLAG_COLUMN}, which fragments reserve"
            )
        return columns

    def _row_order(
        self, source: TableRef, columns: Sequence[ImageColumn], *, signs: bool
    ) -> fragment_sql.RowOrder:
        """What a fill of `source` sorts by; `signs`: whether to look for negative keys."""
        check = fragment_sql.key_order_check(source, columns, signs=signs)
        if check is None:
            return fragment_sql.RowOrder.IMAGE
        unique, negative = self._sql.run(check, relation_args(source), ResultShape.ONE_MANY)
        return fragment_sql.row_order(bool(unique), bool(negative), signs)

    def _filled(self, fragment: TableRef, columns: Sequence[ImageColumn]) -> FragmentInfo:
        """What a fill just wrote: counts and content digest, read back from the table."""
        every = fragment_sql.fragment_image_columns(columns)
        with pinned_settings(self._sql, _DIGEST_SETTINGS):
            return _info(columns, digest_row(self._sql, fragment, every, FLAG_COLUMN))

    def _run(self, statement: sql.Composable) -> None:
        self._sql.run(statement, None, ResultShape.NONE)


def _info(columns: Sequence[ImageColumn], counts: tuple[Any, ...]) -> FragmentInfo:
    upserts, deletes, rows, digest = counts
    specs = with_flag([c.spec for c in columns])
    content = ContentDigest(int(rows), bytes(digest))
    return FragmentInfo(tuple(specs), int(upserts), int(deletes), content)
