"""In-memory fakes of the version ports and of the tracking and object services they sit on."""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sg.domain.capture import StagedChanges, Watermark
from sg.domain.errors import ObjectNotFoundError, TableNotFoundError
from sg.domain.model import Change, ChangeKind, ColumnSpec, RowFilter, StagedKeys, TableRef
from sg.domain.netting import ChangeCounts
from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord
from sg.domain.services.versions import VersionService
from sg.domain.versions import ColumnDef, CompactionPolicy, TableShape, Tag, Version, VersionId

Row = dict[str, Any]
Entry = tuple[bool, Row]  # (upsert?, row); a delete marker carries the key columns only


@dataclass
class LiveTable:
    """A live table: shape, rows, and the rows at the last commit while tracked."""

    shape: TableShape
    rows: list[Row] = field(default_factory=list)
    baseline: list[Row] | None = None


def key_of(shape: TableShape, row: Row) -> tuple[Any, ...]:
    """The key of `row`: its key columns, or the whole row when the table has none."""
    names = shape.key or tuple(c.name for c in shape.columns)
    return tuple(row.get(n) for n in names)


@dataclass
class World:
    """Everything the fakes share: live tables, objects, versions, tags and heads."""

    tables: dict[TableRef, LiveTable] = field(default_factory=dict)
    objects: dict[ObjectId, tuple[TableShape, list[Entry]]] = field(default_factory=dict)
    versions: dict[tuple[str, VersionId], Version] = field(default_factory=dict)
    tags: dict[tuple[str, str], VersionId] = field(default_factory=dict)
    heads: dict[str, VersionId] = field(default_factory=dict)
    staged: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    diffs: list[str] = field(default_factory=list)  # "built" or "touched", per table diffed

    def create(self, ref: TableRef, columns: Sequence[str], key: Sequence[str] = ()) -> None:
        """Create a table with text columns."""
        cols = tuple(ColumnDef(c, "text", c in key, None) for c in columns)
        self.tables[ref] = LiveTable(TableShape(cols, tuple(key), ()))

    def insert(self, ref: TableRef, *rows: Row) -> None:
        """Insert rows."""
        self.tables[ref].rows.extend(dict(r) for r in rows)

    def update(self, ref: TableRef, where: Row, values: Row) -> None:
        """Update the rows matching `where`."""
        for row in self.tables[ref].rows:
            if all(row.get(k) == v for k, v in where.items()):
                row.update(values)

    def delete(self, ref: TableRef, where: Row) -> None:
        """Delete the rows matching `where`."""
        table = self.tables[ref]
        table.rows = [r for r in table.rows if not all(r.get(k) == v for k, v in where.items())]

    def store(self, shape: TableShape, entries: list[Entry]) -> ObjectId:
        """Register an object with these entries; its id comes from its content."""
        canonical = sorted(repr((flag, sorted(row.items()))) for flag, row in entries)
        digest = hashlib.sha256(repr((shape.columns, shape.key, canonical)).encode()).hexdigest()
        object_id = ObjectId("o" + digest[:62])
        self.objects.setdefault(object_id, (shape, entries))
        return object_id

    def materialize(self, chain: Sequence[ObjectId]) -> list[Row]:
        """The rows the chain builds."""
        rows: list[Row] = []
        for object_id in chain:
            if object_id not in self.objects:
                raise ObjectNotFoundError(f"object {object_id} is missing")
            shape, entries = self.objects[object_id]
            mentioned = {key_of(shape, row) for _, row in entries}
            rows = [r for r in rows if key_of(shape, r) not in mentioned]
            rows.extend(dict(row) for flag, row in entries if flag)
        return rows


def row_changes(shape: TableShape, old: list[Row], new: list[Row]) -> list[Change]:
    """Net changes from `old` rows to `new` rows in key order."""
    if not shape.key:
        before = Counter(key_of(shape, r) for r in old)
        after = Counter(key_of(shape, r) for r in new)
        names = [c.name for c in shape.columns]
        changes = []
        for key in sorted(set(before) | set(after), key=repr):
            surplus = after[key] - before[key]
            kind = ChangeKind.INSERT if surplus > 0 else ChangeKind.DELETE
            changes += [Change(key, kind, dict(zip(names, key, strict=True)))] * abs(surplus)
        return changes
    olds = {key_of(shape, r): r for r in old}
    news = {key_of(shape, r): r for r in new}
    changes = []
    for key in sorted(set(olds) | set(news), key=repr):
        if key not in olds:
            changes.append(Change(key, ChangeKind.INSERT, news[key]))
        elif key not in news:
            changes.append(Change(key, ChangeKind.DELETE, olds[key]))
        elif olds[key] != news[key]:
            changed = {k: v for k, v in news[key].items() if olds[key].get(k) != v}
            changes.append(Change(key, ChangeKind.UPDATE, changed))
    return changes


@dataclass
class FakeVersionStore:
    """The version-store port over a `World`."""

    world: World
    role: str = "alice"

    def add(self, version: Version) -> None:
        self.world.versions.setdefault((version.schema, version.version_id), version)

    def get(self, schema: str, version_id: VersionId) -> Version | None:
        return self.world.versions.get((schema, version_id))

    def log(self, schema: str) -> list[Version]:
        mine = [v for (s, _), v in self.world.versions.items() if s == schema]
        return sorted(mine, key=lambda v: (v.created_at, v.version_id), reverse=True)

    def match_prefix(self, schema: str, prefix: str) -> list[VersionId]:
        return sorted(i for s, i in self.world.versions if s == schema and i.startswith(prefix))

    def tags(self, schema: str) -> list[Tag]:
        return sorted(Tag(n, i) for (s, n), i in self.world.tags.items() if s == schema)

    def set_tag(self, schema: str, tag: Tag) -> None:
        self.world.tags[(schema, tag.name)] = tag.version_id

    def head(self, schema: str) -> VersionId | None:
        return self.world.heads.get(schema)

    def set_head(self, schema: str, version_id: VersionId) -> None:
        self.world.heads[schema] = version_id

    def referenced_objects(self) -> set[ObjectId]:
        return {o for v in self.world.versions.values() for o in v.objects()}

    def remove_objects(self, object_ids: Sequence[ObjectId]) -> int:
        referenced = self.referenced_objects()
        freed = 0
        for object_id in object_ids:
            if object_id not in referenced and self.world.objects.pop(object_id, None) is not None:
                freed += 100
        return freed

    def registered_objects(self) -> dict[ObjectId, int]:
        return dict.fromkeys(self.world.objects, 100)

    def current_role(self) -> str:
        return self.role


@dataclass
class FakeTableShapes:
    """The table-shapes port over a `World`."""

    world: World
    schemas: set[str] = field(default_factory=set)

    def tables(self, schema: str) -> list[str]:
        return sorted(r.table for r in self.world.tables if r.schema == schema)

    def describe(self, table: TableRef) -> TableShape:
        return self._table(table).shape

    def create_schema(self, schema: str) -> None:
        self.schemas.add(schema)

    def create(self, table: TableRef, shape: TableShape) -> None:
        self.world.tables[table] = LiveTable(shape._replace(key=(), indexes=()))

    def add_indexes(self, table: TableRef, shape: TableShape) -> None:
        self._table(table).shape = shape

    def truncate(self, table: TableRef) -> None:
        self._table(table).rows = []

    def drop(self, table: TableRef) -> None:
        self.world.tables.pop(table, None)

    def diff(
        self,
        old: Sequence[ObjectId] | TableRef,
        new: Sequence[ObjectId] | TableRef,
        shape: TableShape,
    ) -> list[Change]:
        self.world.diffs.append("built")
        return row_changes(shape, self._rows(old), self._rows(new))

    def diff_touched(
        self,
        old: Sequence[ObjectId],
        new: Sequence[ObjectId] | TableRef,
        shape: TableShape,
        touched: Sequence[ObjectId],
        pending: StagedKeys | None = None,
    ) -> list[Change]:
        self.world.diffs.append("touched")
        keys = {key_of(shape, row) for o in touched for _, row in self.world.objects[o][1]}
        keys |= set(self.world.staged[pending.handle]) if pending is not None else set()

        def mentioned(rows: list[Row]) -> list[Row]:
            return [r for r in rows if key_of(shape, r) in keys]

        return row_changes(shape, mentioned(self._rows(old)), mentioned(self._rows(new)))

    def _rows(self, source: Sequence[ObjectId] | TableRef) -> list[Row]:
        if isinstance(source, TableRef):
            return self._table(source).rows
        return self.world.materialize(source)

    def _table(self, table: TableRef) -> LiveTable:
        if table not in self.world.tables:
            raise TableNotFoundError.named(*table)
        return self.world.tables[table]


@dataclass
class FakeServices:
    """Tracking, objects, committing, locking and savepoints over a `World`."""

    world: World
    locked: list[TableRef] = field(default_factory=list)
    fail_snapshot_of: TableRef | None = None

    def track(self, tables: Iterable[TableRef]) -> None:
        for ref in tables:
            table = self.world.tables[ref]
            if table.baseline is None:
                table.baseline = copy.deepcopy(table.rows)

    def untrack(self, tables: Iterable[TableRef]) -> None:
        for ref in tables:
            if ref in self.world.tables:
                self.world.tables[ref].baseline = None

    def tracked(self) -> list[TableRef]:
        return sorted(r for r, t in self.world.tables.items() if t.baseline is not None)

    def counts(self, table: TableRef) -> ChangeCounts:
        changes = self._pending(table)
        kinds = Counter(c.change_type for c in changes)
        return ChangeCounts(
            kinds[ChangeKind.INSERT], kinds[ChangeKind.DELETE], kinds[ChangeKind.UPDATE]
        )

    def changed_tables(self, schema: str) -> list[str]:
        return [r.table for r in self.tracked() if r.schema == schema and self._pending(r)]

    def stage_pending(self, table: TableRef) -> StagedChanges:
        handle = f"staged_{uuid.uuid4().hex}"
        keys = list(dict.fromkeys(c.primary_key for c in self._pending(table)))
        self.world.staged[handle] = keys
        return StagedChanges(StagedKeys(handle, len(keys)), Watermark("", None, 0))

    def release_staged(self, keys: StagedKeys) -> None:
        del self.world.staged[keys.handle]

    def snapshot(self, source: TableRef) -> ObjectId:
        if source == self.fail_snapshot_of:
            raise RuntimeError("disk full")
        table = self.world.tables[source]
        return self.world.store(table.shape, [(True, dict(r)) for r in table.rows])

    def apply(
        self,
        fragments: Sequence[TableRef],
        target: TableRef,
        row_filter: RowFilter | None = None,
    ) -> None:
        chain = [ObjectId(f.table) for f in fragments]
        self.world.tables[target].rows.extend(self.world.materialize(chain))

    def describe(self, object_id: ObjectId) -> ObjectRecord:
        shape, entries = self.world.objects[object_id]
        upserts = sum(1 for flag, _ in entries if flag)
        columns = tuple(
            ColumnSpec(i, c.name, c.type, c.name in shape.key) for i, c in enumerate(shape.columns)
        )
        return ObjectRecord(object_id, columns, upserts, len(entries) - upserts, 100)

    def commit_counted(self, table: TableRef) -> tuple[ObjectId | None, ChangeCounts]:
        live = self.world.tables[table]
        changes = self._pending(table)
        counts = self.counts(table)
        if not changes:
            return None, counts
        entries: list[Entry] = []
        for key in dict.fromkeys(c.primary_key for c in changes):
            names = live.shape.key or tuple(c.name for c in live.shape.columns)
            now = [(True, dict(r)) for r in live.rows if key_of(live.shape, r) == key]
            if not live.shape.key or not now:  # keyed upserts replace their key's row
                entries.append((False, dict(zip(names, key, strict=True))))
            entries += now
        live.baseline = copy.deepcopy(live.rows)
        return self.world.store(live.shape, entries), counts

    def lock_table(self, table: TableRef) -> None:
        self.locked.append(table)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        saved = copy.deepcopy(self.world.__dict__)
        try:
            yield
        except BaseException:
            self.world.__dict__.update(saved)
            raise

    def _pending(self, table: TableRef) -> list[Change]:
        live = self.world.tables[table]
        if live.baseline is None:
            return []
        return row_changes(live.shape, live.baseline, live.rows)


def version_service(world: World, **kwargs: Any) -> tuple[VersionService, FakeServices]:
    """A version service wired entirely to fakes over `world` (no compaction unless asked)."""
    kwargs.setdefault("policy", CompactionPolicy(max_patch_ratio=1e9))
    services = FakeServices(world)
    service = VersionService(
        store=FakeVersionStore(world),
        shapes=FakeTableShapes(world),
        tracker=services,
        objects=services,
        committer=services,
        lock=services,
        transaction=services,
        **kwargs,
    )
    return service, services
