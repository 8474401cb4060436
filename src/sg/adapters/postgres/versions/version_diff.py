"""Row differences between versions of a table, computed by the server.

Two ways, one answer. `diff_built` builds each side whole (an object chain applied to a
temporary table, or a live table) and compares them with `EXCEPT ALL`. `diff_touched` is for
two sides that agree on every key some objects (and staged pending keys) do not mention: it
collects those keys, builds each side's rows for them alone (scanning each object once,
writing no other row) and compares only those. Both hand the rows that differ to `changes`,
so their results cannot differ in form or order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from psycopg import sql

from sg.adapters.postgres.catalog.trust import require_plain_source
from sg.adapters.postgres.objects.fragment_apply import insert_last_upserts
from sg.adapters.postgres.objects.key_match import KeyShape
from sg.adapters.postgres.objects.tuple_image import ImageColumn, image_columns
from sg.domain.column_schema import FLAG_COLUMN
from sg.domain.model import Change, ChangeKind, ResultShape, StagedKeys, TableRef
from sg.domain.object_id import OBJECT_SCHEMA, ObjectId
from sg.domain.versions import TableShape, shared_prefix
from sg.ports.sql import SqlRunner

Source = Sequence[ObjectId] | TableRef


class VersionDiff:
    """Compares object chains and live tables of one shape, through the SQL port."""

    def __init__(self, runner: SqlRunner, create: Callable[[TableRef, TableShape], None]) -> None:
        self._sql = runner
        self._create = create  # makes a table of a shape's columns

    def diff_built(self, old: Source, new: Source, shape: TableShape) -> list[Change]:
        """Net changes from `old` to `new`, each built whole (a live table is read as is)."""
        scratch: list[TableRef] = []
        try:
            before = self._whole(old, shape, scratch)
            after = self._whole(new, shape, scratch)
            return self._compare(before, after, shape)
        finally:
            self._drop(scratch)

    def diff_touched(
        self,
        old: Sequence[ObjectId],
        new: Source,
        shape: TableShape,
        touched: Sequence[ObjectId],
        pending: StagedKeys | None,
    ) -> list[Change]:
        """Net changes from chain `old` to `new` when they differ only on keys that the
        `touched` objects or the `pending` staged keys mention; only those keys are read."""
        sources = [TableRef(OBJECT_SCHEMA, o) for o in touched]
        if pending is not None and pending.size:
            sources.append(TableRef("pg_temp", pending.handle))
        if not sources:
            return []
        if isinstance(new, TableRef):
            require_plain_source(self._sql, new)
        columns = _data_columns(self._sql, TableRef(OBJECT_SCHEMA, old[0]))
        key = KeyShape.of(columns, list(shape.key))
        scratch: list[TableRef] = []
        try:
            keys = self._collect_keys(sources, key, scratch)
            before, after = _fragments(old), new if isinstance(new, TableRef) else _fragments(new)
            shared = 0 if isinstance(new, TableRef) else shared_prefix(old, new)
            if shared:
                # Both chains start with the same objects: read those (the base above all)
                # once, for the mentioned keys, into a fragment both chains then start from.
                prefix = self._prefix(before[:shared], columns, key, keys, scratch)
                before, after = [prefix, *before[shared:]], [prefix, *after[shared:]]
            old_rows = self._restricted(before, shape, columns, key, keys, scratch)
            new_rows = self._restricted(after, shape, columns, key, keys, scratch)
            return self._compare(old_rows, new_rows, shape)
        finally:
            self._drop(scratch)

    def _prefix(
        self,
        fragments: Sequence[TableRef],
        columns: Sequence[ImageColumn],
        key: KeyShape,
        keys: TableRef,
        scratch: list[TableRef],
    ) -> TableRef:
        """A fragment of upserts: the rows the `fragments` build for the keys `keys` holds."""
        prefix = _scratch("sg_diff_prefix")
        self._run(
            sql.SQL("CREATE TABLE {} (LIKE {})").format(
                sql.Identifier(*prefix), sql.Identifier(*fragments[0])
            )
        )
        scratch.append(prefix)
        self._run(
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT true").format(
                sql.Identifier(*prefix), sql.Identifier(FLAG_COLUMN)
            )
        )
        self._run(insert_last_upserts(fragments, prefix, columns, key, _mentioned(key, keys)))
        return prefix

    def _collect_keys(
        self, sources: Sequence[TableRef], key: KeyShape, scratch: list[TableRef]
    ) -> TableRef:
        """A temporary table of every key the sources mention (repeats kept: only probed)."""
        keys = _scratch("sg_diff_keys")
        mentioned = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {} FROM {} AS f").format(
                sql.SQL(", ").join(key.identifiers("f")), sql.Identifier(*source)
            )
            for source in sources
        )
        self._run(sql.SQL("CREATE TABLE {} AS {}").format(sql.Identifier(*keys), mentioned))
        scratch.append(keys)
        # Row counts let the planner probe few keys through a hash instead of a nested loop.
        self._run(sql.SQL("ANALYZE {}").format(sql.Identifier(*keys)))
        return keys

    def _restricted(
        self,
        source: Sequence[TableRef] | TableRef,
        shape: TableShape,
        columns: Sequence[ImageColumn],
        key: KeyShape,
        keys: TableRef,
        scratch: list[TableRef],
    ) -> TableRef:
        """A temporary table of the source's rows whose key `keys` holds."""
        table = self._scratch_table(shape, scratch)
        mentioned = sql.SQL("EXISTS (SELECT 1 FROM {} AS sg_k WHERE {})").format(
            sql.Identifier(*keys), key.matches("sg_r", "sg_k")
        )
        if isinstance(source, TableRef):
            statement = sql.SQL("INSERT INTO {} SELECT {} FROM {} AS sg_r WHERE {}").format(
                sql.Identifier(*table),
                sql.SQL(", ").join(sql.Identifier("sg_r", c.name) for c in shape.columns),
                sql.Identifier(*source),
                mentioned,
            )
            self._run(statement)
            return table
        # The rows of a chain are, per key, the upserts of the last object mentioning it.
        self._run(insert_last_upserts(source, table, columns, key, _mentioned(key, keys)))
        return table

    def _whole(self, source: Source, shape: TableShape, scratch: list[TableRef]) -> TableRef:
        if isinstance(source, TableRef):
            return source
        table = self._scratch_table(shape, scratch)
        if source:
            fragments = _fragments(source)
            columns = _data_columns(self._sql, fragments[0])
            key = KeyShape.of(columns, list(shape.key))
            self._run(insert_last_upserts(fragments, table, columns, key, None))
        return table

    def _scratch_table(self, shape: TableShape, scratch: list[TableRef]) -> TableRef:
        table = _scratch("sg_diff")
        loose = tuple(c._replace(not_null=False, default=None) for c in shape.columns)
        self._create(table, shape._replace(columns=loose))
        scratch.append(table)
        return table

    def _compare(self, before: TableRef, after: TableRef, shape: TableShape) -> list[Change]:
        added = self._except(after, before, shape)
        removed = self._except(before, after, shape)
        return changes([c.name for c in shape.columns], list(shape.key), added, removed)

    def _except(self, left: TableRef, right: TableRef, shape: TableShape) -> list[tuple[Any, ...]]:
        names = sql.SQL(", ").join(sql.Identifier(c.name) for c in shape.columns)
        statement = sql.SQL("SELECT {} FROM {} EXCEPT ALL SELECT {} FROM {}").format(
            names, sql.Identifier(*left), names, sql.Identifier(*right)
        )
        return list(self._sql.run(statement, None, ResultShape.MANY_MANY))

    def _drop(self, scratch: Sequence[TableRef]) -> None:
        for table in scratch:
            self._run(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(*table)))

    def _run(self, statement: sql.Composable) -> None:
        self._sql.run(statement, None, ResultShape.NONE)


def _mentioned(key: KeyShape, keys: TableRef) -> sql.Composable:
    """Quals for `insert_last_upserts` (which names the candidate rows `u`): key in `keys`."""
    return sql.SQL("EXISTS (SELECT 1 FROM {} AS sg_k WHERE {})").format(
        sql.Identifier(*keys), key.matches("u", "sg_k")
    )


def _fragments(chain: Sequence[ObjectId]) -> list[TableRef]:
    return [TableRef(OBJECT_SCHEMA, o) for o in chain]


def _scratch(prefix: str) -> TableRef:
    return TableRef("pg_temp", f"{prefix}_{uuid.uuid4().hex}")


def _data_columns(runner: SqlRunner, fragment: TableRef) -> list[ImageColumn]:
    return [c for c in image_columns(runner, fragment) if c.spec.name != FLAG_COLUMN]


def changes(
    names: list[str], key: list[str], added: list[tuple[Any, ...]], removed: list[tuple[Any, ...]]
) -> list[Change]:
    """Changes in key order from the rows only the new side has and those only the old has.

    A key with rows on both sides is an UPDATE of the columns that differ; a table without a
    key has one INSERT or DELETE per copy of a row.
    """
    positions = [names.index(k) for k in key] or list(range(len(names)))

    def key_of(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(row[p] for p in positions)

    def as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(names, row, strict=True))

    result: list[tuple[tuple[Any, ...], Change]] = []
    if not key:
        for row in added:
            result.append((row, Change(row, ChangeKind.INSERT, as_dict(row))))
        for row in removed:
            result.append((row, Change(row, ChangeKind.DELETE, as_dict(row))))
    else:
        new_rows = {key_of(r): r for r in added}
        old_rows = {key_of(r): r for r in removed}
        for k, row in new_rows.items():
            old = old_rows.get(k)
            if old is None:
                change = Change(k, ChangeKind.INSERT, as_dict(row))
            else:
                data = {n: v for n, v, o in zip(names, row, old, strict=True) if v != o}
                change = Change(k, ChangeKind.UPDATE, data)
            result.append((k, change))
        for k, row in old_rows.items():
            if k not in new_rows:
                result.append((k, Change(k, ChangeKind.DELETE, as_dict(row))))
    return [change for _, change in sorted(result, key=lambda item: _order(item[0]))]


def _order(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A sort key for key tuples that puts NULLs last and never compares across types."""
    return tuple((v is None, type(v).__name__, v if v is not None else 0) for v in values)
