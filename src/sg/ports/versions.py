"""Version ports: where versions and tags are kept, and how live tables are shaped and compared."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sg.domain.model import Change, StagedKeys, TableRef
from sg.domain.object_id import ObjectId
from sg.domain.versions import TableShape, Tag, Version, VersionId


class VersionStore(Protocol):
    """Versions, tags and heads of versioned schemas; the caller owns the transaction.

    Every method raises `EngineNotInitializedError` when the engine lacks sg's version tables.
    """

    def add(self, version: Version) -> None:
        """Record `version`; adding one that is already there is a no-op."""
        ...

    def get(self, schema: str, version_id: VersionId) -> Version | None:
        """The version of `schema` with this id, or None."""
        ...

    def log(self, schema: str) -> list[Version]:
        """Every version of `schema`, newest first."""
        ...

    def match_prefix(self, schema: str, prefix: str) -> list[VersionId]:
        """Ids of `schema`'s versions that start with `prefix`, sorted."""
        ...

    def tags(self, schema: str) -> list[Tag]:
        """The tags of `schema`, sorted by name."""
        ...

    def set_tag(self, schema: str, tag: Tag) -> None:
        """Point tag `tag.name` of `schema` at `tag.version_id`, moving it if it exists."""
        ...

    def head(self, schema: str) -> VersionId | None:
        """The version the schema's live tables were last committed or checked out at."""
        ...

    def set_head(self, schema: str, version_id: VersionId) -> None:
        """Record that the schema's live tables are now at `version_id`."""
        ...

    def referenced_objects(self) -> set[ObjectId]:
        """Every object any version of any schema needs."""
        ...

    def remove_objects(self, object_ids: Sequence[ObjectId]) -> int:
        """Drop these objects' tables and registry rows; return the bytes they took."""
        ...

    def registered_objects(self) -> dict[ObjectId, int]:
        """Every registered object and its size in bytes."""
        ...

    def current_role(self) -> str:
        """The database role the engine works as (a commit's default author)."""
        ...


class TableShapes(Protocol):
    """Reads and builds the shape of live tables; the caller owns the transaction."""

    def tables(self, schema: str) -> list[str]:
        """Names of the ordinary and partitioned tables of `schema`, sorted."""
        ...

    def describe(self, table: TableRef) -> TableShape:
        """The table's columns, key and indexes; `TableNotFoundError` when it is missing."""
        ...

    def create_schema(self, schema: str) -> None:
        """Create `schema` unless it exists."""
        ...

    def create(self, table: TableRef, shape: TableShape) -> None:
        """Create `table` with the shape's columns (NOT NULL, defaults), without key or indexes."""
        ...

    def add_indexes(self, table: TableRef, shape: TableShape) -> None:
        """Add the shape's primary key and indexes to the table `create` made."""
        ...

    def truncate(self, table: TableRef) -> None:
        """Remove every row of `table` (untracked tables only: capture would record it)."""
        ...

    def drop(self, table: TableRef) -> None:
        """Drop `table`; missing is not an error."""
        ...

    def diff(
        self,
        old: Sequence[ObjectId] | TableRef,
        new: Sequence[ObjectId] | TableRef,
        shape: TableShape,
    ) -> list[Change]:
        """Net changes from `old` to `new` (object chains or a live table) in key order.

        A table without a key is compared by whole rows, one change per copy.
        """
        ...

    def diff_touched(
        self,
        old: Sequence[ObjectId],
        new: Sequence[ObjectId] | TableRef,
        shape: TableShape,
        touched: Sequence[ObjectId],
        pending: StagedKeys | None = None,
    ) -> list[Change]:
        """What `diff(old, new, shape)` gives, for sides that agree on every key neither the
        `touched` objects nor the `pending` staged keys mention; reads only the mentioned keys.
        """
        ...
