"""The version service: commits of whole schemas, log, tags, checkout, diff, gc and sync."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sg.domain.errors import (
    AmbiguousVersionError,
    CorruptDumpError,
    DuplicateObjectError,
    InvalidIdentifierError,
    NotVersionedError,
    PendingChangesError,
    VersionNotFoundError,
)
from sg.domain.model import Change, TableRef
from sg.domain.netting import count_changes
from sg.domain.object_id import OBJECT_SCHEMA, ObjectId
from sg.domain.versions import (
    LATEST,
    CompactionPolicy,
    GcResult,
    History,
    TableCounts,
    TableDiff,
    TableShape,
    TableVersion,
    Tag,
    Version,
    VersionId,
    VersionStorage,
    derive_version_id,
    shared_prefix,
)
from sg.ports.catalog import TableLock
from sg.ports.services import ObjectKeeper, TableCommitter, Tracker
from sg.ports.transaction import Transaction
from sg.ports.versions import TableShapes, VersionStore


def _objects(chain: Iterable[ObjectId]) -> list[TableRef]:
    return [TableRef(OBJECT_SCHEMA, object_id) for object_id in chain]


class VersionService:
    """Versions whole schemas over change tracking and objects, inside the caller's transaction.

    Every method that writes is all-or-nothing (one savepoint); the caller commits.
    """

    def __init__(
        self,
        store: VersionStore,
        shapes: TableShapes,
        tracker: Tracker,
        objects: ObjectKeeper,
        committer: TableCommitter,
        lock: TableLock,
        transaction: Transaction,
        policy: CompactionPolicy | None = None,
    ) -> None:
        self._store = store
        self._shapes = shapes
        self._tracker = tracker
        self._objects = objects
        self._committer = committer
        self._lock = lock
        self._tx = transaction
        self.policy = policy or CompactionPolicy()

    def init(self, schema: str, message: str = "init", author: str | None = None) -> Version:
        """Snapshot and track every table of `schema` in one step and record the first version.

        Writers are locked out of each table from its snapshot until the caller commits, so no
        write falls between snapshot and tracking. Refused when the schema has versions.
        """
        if self._store.head(schema) is not None or self._store.log(schema):
            raise DuplicateObjectError(
                f"schema {schema} is versioned already; commit to record a new version"
            )
        with self._tx.savepoint():
            tables = tuple(self._new_base(TableRef(schema, n)) for n in self._shapes.tables(schema))
            return self._record(schema, None, message, author, tables)

    def commit(self, schema: str, message: str, author: str | None = None) -> Version | None:
        """Record the schema's tables as a new version; None when nothing changed since head.

        Unchanged tables keep their chain, changed ones get their pending changes appended as
        one object (compacted per `policy`), new tables a base; dropped tables leave.
        """
        head = self._head(schema)
        with self._tx.savepoint():
            tracked = set(self._tracker.tracked())
            tables: list[TableVersion] = []
            for name in self._shapes.tables(schema):
                ref = TableRef(schema, name)
                previous = head.table(name)
                if previous is None or ref not in tracked:
                    tables.append(self._new_base(ref))
                    continue
                tables.append(self._next(ref, previous))
            if _same_content(tables, head.tables):
                return None
            return self._record(schema, head.version_id, message, author, tuple(tables))

    def log(self, schema: str, table: str | None = None) -> list[Version]:
        """Versions newest first; with `table`, only those that changed it."""
        versions = self._store.log(schema)
        if table is None:
            return versions
        by_id = {v.version_id: v for v in versions}
        changed = []
        for version in versions:
            parent = by_id.get(version.parent) if version.parent else None
            mine = version.table(table)
            theirs = parent.table(table) if parent else None
            if mine != theirs and (mine is None or theirs is None or _differ(mine, theirs)):
                changed.append(version)
        return changed

    def resolve(self, schema: str, name: str) -> Version:
        """The version `name` means: `latest`, a tag, a full id or a unique id prefix."""
        version_id = self._resolve_id(schema, name)
        version = self._store.get(schema, version_id)
        if version is None:
            raise VersionNotFoundError(f"schema {schema} has no version {name}; see `sg log`")
        return version

    def head(self, schema: str) -> Version | None:
        """The version the live tables were last committed or checked out at."""
        version_id = self._store.head(schema)
        return None if version_id is None else self._store.get(schema, version_id)

    def tags(self, schema: str) -> list[Tag]:
        """The schema's tags, sorted by name (`latest` is implicit and not listed)."""
        return self._store.tags(schema)

    def tag(self, schema: str, version: str, name: str) -> Tag:
        """Name `version` `name` (moving the tag if it exists)."""
        if name == LATEST or VersionId.is_prefix(name) or not name or len(name) > 63:
            raise InvalidIdentifierError(
                f"cannot use {name!r} as a tag: it is reserved, empty, too long or looks like an id"
            )
        tag = Tag(name, self.resolve(schema, version).version_id)
        with self._tx.savepoint():
            self._store.set_tag(schema, tag)
        return tag

    def checkout(
        self, schema: str, version: str, *, force: bool = False, into: str | None = None
    ) -> Version:
        """Make the tables equal `version`: in place (head moves) or as copies in `into`.

        In place, pending changes are refused unless `force`, which discards them; versioned
        tables the version lacks are dropped. Into another schema, its tables must not exist.
        """
        target = self.resolve(schema, version)
        if into is not None and into != schema:
            self._checkout_into(target, into)
            return target
        if not force and self._tracker.changed_tables(schema):
            raise PendingChangesError(
                f"schema {schema} has uncommitted changes; commit them or check out with --force"
            )
        with self._tx.savepoint():
            self._shapes.create_schema(schema)
            tracked = {t.table for t in self._tracker.tracked() if t.schema == schema}
            live = set(self._shapes.tables(schema))
            wanted = {t.name for t in target.tables}
            for name in sorted(tracked - wanted):
                ref = TableRef(schema, name)
                self._tracker.untrack([ref])
                self._shapes.drop(ref)
            for table in target.tables:
                ref = TableRef(schema, table.name)
                if table.name in tracked:
                    self._tracker.untrack([ref])
                if table.name in live and self._shapes.describe(ref) == table.shape:
                    self._shapes.truncate(ref)
                    self._objects.apply(_objects(table.chain), ref)
                else:
                    self._shapes.drop(ref)
                    self._build(ref, table)
                self._tracker.track([ref])
            self._store.set_head(schema, target.version_id)
        return target

    def diff(
        self, schema: str, old: str, new: str | None = None, *, materialize: bool = False
    ) -> list[TableDiff]:
        """Per-table net changes from version `old` to version `new` (default: live tables).

        Tables whose chains are equal are unchanged without reading a row. When the two
        sides' chains start with the same objects (consecutive versions; a version and the
        live tables after commits; two versions that branched from a common one), the diff
        comes from the objects: only the keys the remaining objects, and for live tables the
        pending changes, mention are read. Both sides are built whole into temporary tables
        only when their chains share no first object: after one was compacted into a fresh
        base, after a table was re-based (its columns changed, or it was new or untracked
        since), or when `materialize` asks for it. Both ways give the same changes. Like
        `commit`, the objects' way takes a tracked table to be its head's rows plus its
        pending changes (changes discarded through the plumbing are not seen).
        """
        before = self.resolve(schema, old)
        after = None if new is None else self.resolve(schema, new)
        with self._tx.savepoint():
            if after is not None:
                names = {t.name for t in before.tables} | {t.name for t in after.tables}
                return [
                    self._version_diff(name, before, after, materialize) for name in sorted(names)
                ]
            live = set(self._shapes.tables(schema))
            head = self.head(schema)
            tracked = set(self._tracker.tracked())
            return [
                self._live_diff(
                    TableRef(schema, name), name in live, before, head, tracked, materialize
                )
                for name in sorted(live | {t.name for t in before.tables})
            ]

    def storage(self, schema: str) -> list[VersionStorage]:
        """Bytes each version's objects take, newest first, and those it added itself."""
        sizes = self._store.registered_objects()
        seen: set[ObjectId] = set()
        result = []
        for version in reversed(self._store.log(schema)):
            objects = version.objects()
            total = sum(sizes.get(o, 0) for o in objects)
            own = sum(sizes.get(o, 0) for o in objects - seen)
            seen |= objects
            result.append(VersionStorage(version.version_id, total, own))
        return result[::-1]

    def history_bytes(self, schema: str) -> int:
        """Bytes the objects of every version of `schema` take, each object counted once."""
        sizes = self._store.registered_objects()
        objects = {o for version in self._store.log(schema) for o in version.objects()}
        return sum(sizes.get(o, 0) for o in objects)

    def garbage(self) -> dict[ObjectId, int]:
        """Objects no version of any schema needs, and their sizes: what `gc` would free."""
        referenced = self._store.referenced_objects()
        registered = self._store.registered_objects()
        return {o: size for o, size in registered.items() if o not in referenced}

    def gc(self) -> GcResult:
        """Remove every object no version needs; never one a version (even a new one) needs."""
        with self._tx.savepoint():
            garbage = sorted(self.garbage())
            freed = self._store.remove_objects(garbage)
        return GcResult(garbage, freed)

    def history(self, schema: str) -> History:
        """The schema's versions oldest first and its tags."""
        return History(self._store.log(schema)[::-1], self._store.tags(schema))

    def missing(self, schema: str, versions: Sequence[Version]) -> list[Version]:
        """Those of `versions` this engine does not hold under `schema`, in the order given."""
        return [v for v in versions if self._store.get(schema, v.version_id) is None]

    def receive(self, schema: str, history: History) -> list[VersionId]:
        """Record versions (whose objects are all here already) and tags under `schema`.

        Returns the ids added; a version whose parent is neither here nor in `history` is
        refused, so the history stays whole.
        """
        added = []
        with self._tx.savepoint():
            for version in history.versions:
                if self._store.get(schema, version.version_id) is not None:
                    continue
                _check_id(version)
                self._store.add(version._replace(schema=schema))
                added.append(version.version_id)
            for tag in history.tags:
                self._store.set_tag(schema, tag)
        return added

    def _head(self, schema: str) -> Version:
        head = self.head(schema)
        if head is None:
            raise NotVersionedError(f"schema {schema} is not versioned; run `sg init {schema}`")
        return head

    def _new_base(self, ref: TableRef) -> TableVersion:
        """Snapshot a table as a base and (re)start tracking it with no pending changes."""
        self._lock.lock_table(ref)
        self._tracker.untrack([ref])
        base = self._objects.snapshot(ref)
        self._tracker.track([ref])
        rows = self._objects.describe(base).rows_upserted
        return TableVersion(ref.table, self._shapes.describe(ref), (base,), TableCounts(rows))

    def _next(self, ref: TableRef, previous: TableVersion) -> TableVersion:
        self._lock.lock_table(ref)
        shape = self._shapes.describe(ref)
        if not shape.same_columns(previous.shape):
            return self._new_base(ref)
        patch, counted = self._committer.commit_counted(ref)
        counts = TableCounts(*counted)
        if patch is None:
            return previous._replace(shape=shape, counts=TableCounts())
        chain = (*previous.chain, patch)
        if self._should_compact(chain):
            chain = (self._objects.snapshot(ref),)
        return TableVersion(ref.table, shape, chain, counts)

    def _should_compact(self, chain: Sequence[ObjectId]) -> bool:
        if len(chain) > self.policy.max_chain:
            return True
        base = self._objects.describe(chain[0]).rows
        patches = sum(self._objects.describe(o).rows for o in chain[1:])
        return patches > self.policy.max_patch_ratio * max(base, 1)

    def _record(
        self,
        schema: str,
        parent: VersionId | None,
        message: str,
        author: str | None,
        tables: tuple[TableVersion, ...],
    ) -> Version:
        author = author or self._store.current_role()
        created = datetime.now(UTC)
        tables = tuple(sorted(tables))
        version_id = derive_version_id(schema, parent, created, author, message, tables)
        version = Version(version_id, schema, parent, created, author, message, tables)
        self._store.add(version)
        self._store.set_head(schema, version_id)
        return version

    def _resolve_id(self, schema: str, name: str) -> VersionId:
        if name == LATEST:
            versions = self._store.log(schema)
            if not versions:
                raise NotVersionedError(f"schema {schema} has no versions; run `sg init {schema}`")
            return versions[0].version_id
        tag = next((t for t in self._store.tags(schema) if t.name == name), None)
        if tag is not None:
            return tag.version_id
        if not VersionId.is_prefix(name):
            raise VersionNotFoundError(f"schema {schema} has no tag {name!r}; see `sg log`")
        matches = self._store.match_prefix(schema, name)
        if not matches:
            raise VersionNotFoundError(f"schema {schema} has no version {name}; see `sg log`")
        if len(matches) > 1:
            raise AmbiguousVersionError(
                f"{name} matches {len(matches)} versions of {schema}; give more digits"
            )
        return matches[0]

    def _checkout_into(self, version: Version, schema: str) -> None:
        with self._tx.savepoint():
            self._shapes.create_schema(schema)
            existing = set(self._shapes.tables(schema))
            for table in version.tables:
                if table.name in existing:
                    raise DuplicateObjectError(
                        f"table {schema}.{table.name} exists; check out into an empty schema",
                        "42P07",
                    )
                self._build(TableRef(schema, table.name), table)

    def _build(self, ref: TableRef, table: TableVersion) -> None:
        self._shapes.create(ref, table.shape)
        self._objects.apply(_objects(table.chain), ref)
        self._shapes.add_indexes(ref, table.shape)

    def _version_diff(
        self, name: str, before: Version, after: Version, materialize: bool
    ) -> TableDiff:
        old, new = before.table(name), after.table(name)
        if old is not None and new is not None and not _differ(old, new):
            return TableDiff(name, "unchanged", [], TableCounts())
        return self._table_diff(name, old, new, new.chain if new else (), new, None, materialize)

    def _live_diff(
        self,
        ref: TableRef,
        exists: bool,
        before: Version,
        head: Version | None,
        tracked: set[TableRef],
        materialize: bool,
    ) -> TableDiff:
        old = before.table(ref.table)
        if not exists:
            return self._table_diff(ref.table, old, None, (), None, None, materialize)
        new = TableVersion(ref.table, self._shapes.describe(ref), (), TableCounts())
        # The live rows are head's chain plus the pending changes while tracking went on.
        built_on = head.table(ref.table) if head is not None and ref in tracked else None
        if built_on is not None and not built_on.shape.same_columns(new.shape):
            built_on = None
        return self._table_diff(ref.table, old, new, ref, built_on, ref, materialize)

    def _table_diff(
        self,
        name: str,
        old: TableVersion | None,
        new: TableVersion | None,
        source: Sequence[ObjectId] | TableRef,
        built_on: TableVersion | None,
        pending: TableRef | None,
        materialize: bool,
    ) -> TableDiff:
        """The diff of one table; the new side's rows are `source`, which is `built_on`'s
        chain plus (for a live table) the pending changes of `pending`."""
        if old is None:
            status = "added"
        elif new is None:
            status = "removed"
        else:
            status = "changed"
        if old is not None and new is not None and not old.shape.same_columns(new.shape):
            return TableDiff(name, "reshaped", [], TableCounts())
        shape = old.shape if old else new.shape  # type: ignore[union-attr]
        changes = None
        if old is not None and built_on is not None and not materialize:
            changes = self._diff_from_objects(old, source, built_on, pending, shape)
        if changes is None:
            changes = self._shapes.diff(old.chain if old else (), source, shape)
        if status == "changed" and not changes:
            status = "unchanged"
        return TableDiff(name, status, changes, TableCounts(*count_changes(changes)))

    def _diff_from_objects(
        self,
        old: TableVersion,
        source: Sequence[ObjectId] | TableRef,
        built_on: TableVersion,
        pending: TableRef | None,
        shape: TableShape,
    ) -> list[Change] | None:
        """The diff from the objects the two chains do not share; None when they share none."""
        shared = shared_prefix(old.chain, built_on.chain)
        if not shared:
            return None
        touched = [*old.chain[shared:], *built_on.chain[shared:]]
        if pending is None:
            return self._shapes.diff_touched(old.chain, source, shape, touched)
        staged = self._tracker.stage_pending(pending)
        try:
            return self._shapes.diff_touched(old.chain, source, shape, touched, staged.keys)
        finally:
            self._tracker.release_staged(staged.keys)


def _check_id(version: Version) -> None:
    expected = derive_version_id(
        version.schema,
        version.parent,
        version.created_at,
        version.author,
        version.message,
        version.tables,
    )
    if expected != version.version_id:
        raise CorruptDumpError(
            f"version {version.version_id} does not match its content (it hashes to {expected})"
        )


def _differ(a: TableVersion, b: TableVersion) -> bool:
    return a.chain != b.chain or a.shape != b.shape


def _same_content(tables: Sequence[TableVersion], previous: Sequence[TableVersion]) -> bool:
    if len(tables) != len(previous):
        return False
    ordered = sorted(tables)
    return all(not _differ(a, b) for a, b in zip(ordered, sorted(previous), strict=True))
