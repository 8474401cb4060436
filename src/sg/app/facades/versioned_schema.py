"""`VersionedSchema`: the history of one schema on one engine, and moving it between engines."""

from __future__ import annotations

from sg.app.facades.object_engine import PostgresEngine
from sg.domain.object_id import ObjectId
from sg.domain.versions import GcResult, History, TableDiff, Tag, Version, VersionId, VersionStorage
from sg.ports.progress import TransferProgress


class VersionedSchema:
    """Versions of the tables of `schema` on `engine`: commit, log, tag, checkout, diff, sync.

    Like every engine call, work happens in the engine's transaction: call `engine.commit()`
    to keep it (push, pull and clone commit the engine they write to themselves).
    """

    def __init__(self, engine: PostgresEngine, schema: str) -> None:
        self.engine = engine
        self.schema = schema

    def __repr__(self) -> str:
        return f"VersionedSchema({self.engine!r}, {self.schema!r})"

    def init(self, message: str = "init", author: str | None = None) -> Version:
        """Snapshot and track every table in one atomic step; record the first version."""
        return self.engine.versions.init(self.schema, message, author)

    def commit(self, message: str, author: str | None = None) -> Version | None:
        """Record the tables as a new version (None when nothing changed); atomic."""
        return self.engine.versions.commit(self.schema, message, author)

    def log(self, table: str | None = None) -> list[Version]:
        """Versions newest first; with `table`, only those that changed it."""
        return self.engine.versions.log(self.schema, table)

    def show(self, version: str = "latest") -> Version:
        """The version named by `latest`, a tag, a full id or a unique id prefix."""
        return self.engine.versions.resolve(self.schema, version)

    def head(self) -> Version | None:
        """The version the live tables were last committed or checked out at."""
        return self.engine.versions.head(self.schema)

    def tag(self, version: str, name: str) -> Tag:
        """Name a version (moving the tag when it exists)."""
        return self.engine.versions.tag(self.schema, version, name)

    def tags(self) -> list[Tag]:
        """The schema's tags, sorted by name."""
        return self.engine.versions.tags(self.schema)

    def checkout(
        self, version: str = "latest", *, force: bool = False, into: str | None = None
    ) -> Version:
        """Make the tables equal `version`, in place or as copies in schema `into`.

        In place, uncommitted changes raise `PendingChangesError` unless `force` discards them.
        """
        return self.engine.versions.checkout(self.schema, version, force=force, into=into)

    def diff(self, old: str, new: str | None = None) -> list[TableDiff]:
        """Per-table net changes from `old` to `new` (default: the live tables), in key order."""
        return self.engine.versions.diff(self.schema, old, new)

    def storage(self) -> list[VersionStorage]:
        """Bytes each version's objects take (newest first), and those each added itself."""
        return self.engine.versions.storage(self.schema)

    def history_bytes(self) -> int:
        """Bytes the whole history takes: every version's objects, each counted once."""
        return self.engine.versions.history_bytes(self.schema)

    def garbage(self) -> dict[ObjectId, int]:
        """The objects `gc` would remove (no version of any schema needs them) and their bytes."""
        return self.engine.versions.garbage()

    def gc(self) -> GcResult:
        """Remove the engine's objects no version of any schema needs; report bytes freed."""
        return self.engine.versions.gc()

    def push(
        self,
        remote: PostgresEngine,
        remote_schema: str | None = None,
        *,
        progress: TransferProgress | None = None,
    ) -> list[VersionId]:
        """Copy the versions, tags and objects `remote` lacks; return the versions it got.

        Objects go first (each committed as it arrives), the versions after them in one
        transaction: an interrupted push leaves no version without its objects, and
        repeating it finishes the work.
        """
        return _sync(self.engine, self.schema, remote, remote_schema or self.schema, progress)

    def pull(
        self,
        remote: PostgresEngine,
        remote_schema: str | None = None,
        *,
        progress: TransferProgress | None = None,
    ) -> list[VersionId]:
        """Copy the versions, tags and objects this engine lacks from `remote`'s schema.

        The live tables stay as they are; check out a version to use it.
        """
        return _sync(remote, remote_schema or self.schema, self.engine, self.schema, progress)

    @classmethod
    def clone(
        cls,
        engine: PostgresEngine,
        schema: str,
        remote: PostgresEngine,
        remote_schema: str | None = None,
        *,
        progress: TransferProgress | None = None,
    ) -> VersionedSchema:
        """Pull `remote`'s history of `remote_schema` into `schema` and check out its latest."""
        local = cls(engine, schema)
        local.pull(remote, remote_schema, progress=progress)
        local.checkout("latest")
        engine.commit()
        return local


def _sync(
    source: PostgresEngine,
    source_schema: str,
    destination: PostgresEngine,
    destination_schema: str,
    progress: TransferProgress | None,
) -> list[VersionId]:
    history = source.versions.history(source_schema)
    missing = destination.versions.missing(destination_schema, history.versions)
    objects = sorted({o for version in missing for o in version.objects()})
    source.upload_objects(objects, destination, progress=progress)
    added = destination.versions.receive(destination_schema, History(missing, history.tags))
    destination.commit()
    return added
