"""The version-store port over `sg_meta.versions`, `version_tags` and `version_heads`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from sg.adapters.postgres.catalog.installation import installed
from sg.domain.model import ResultShape
from sg.domain.object_id import OBJECT_SCHEMA, ObjectId
from sg.domain.versions import TableVersion, Tag, Version, VersionId
from sg.ports.sql import SqlRunner

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch seconds as numeric (exact to the microsecond), never text under the session DateStyle.
_COLUMNS = sql.SQL(
    "SELECT schema_name, version_id, parent_id, pg_catalog.extract('epoch', created_at),"
    " author, message, tables FROM sg_meta.versions"
)
_ADD = sql.SQL(
    "INSERT INTO sg_meta.versions"
    " (schema_name, version_id, parent_id, created_at, author, message, tables)"
    " VALUES (%s, %s, %s, pg_catalog.to_timestamp(0) + %s * interval '1 microsecond', %s, %s, %s)"
    " ON CONFLICT DO NOTHING"
)
_LOCK = sql.SQL("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(%s, 0))")


class PostgresVersionStore:
    """Versions, tags and heads in `sg_meta`, through the SQL port."""

    def __init__(self, runner: SqlRunner) -> None:
        self._sql = runner

    def _run(self, statement: sql.Composable, arguments: Any, shape: ResultShape) -> Any:
        with installed("sg's version tables"):
            return self._sql.run(statement, arguments, shape)

    def add(self, version: Version) -> None:
        """Record `version`; adding one that is already there is a no-op."""
        micros = (version.created_at - _EPOCH) // timedelta(microseconds=1)
        tables = Jsonb([t.to_json() for t in version.tables])
        self._run(
            _ADD,
            [
                version.schema,
                version.version_id,
                version.parent,
                micros,
                version.author,
                version.message,
                tables,
            ],
            ResultShape.NONE,
        )

    def get(self, schema: str, version_id: VersionId) -> Version | None:
        """The version of `schema` with this id, or None."""
        statement = sql.SQL("{} WHERE schema_name = %s AND version_id = %s").format(_COLUMNS)
        row = self._run(statement, [schema, version_id], ResultShape.ONE_MANY)
        return None if row is None else _version(row)

    def log(self, schema: str) -> list[Version]:
        """Every version of `schema`, newest first."""
        statement = sql.SQL(
            "{} WHERE schema_name = %s ORDER BY created_at DESC, version_id DESC"
        ).format(_COLUMNS)
        return [_version(row) for row in self._run(statement, [schema], ResultShape.MANY_MANY)]

    def match_prefix(self, schema: str, prefix: str) -> list[VersionId]:
        """Ids of `schema`'s versions that start with `prefix`, sorted."""
        statement = sql.SQL(
            "SELECT version_id FROM sg_meta.versions WHERE schema_name = %s"
            " AND pg_catalog.starts_with(version_id, %s) ORDER BY version_id"
        )
        ids = self._run(statement, [schema, prefix], ResultShape.MANY_ONE)
        return [VersionId(i) for i in ids]

    def tags(self, schema: str) -> list[Tag]:
        """The tags of `schema`, sorted by name."""
        statement = sql.SQL(
            "SELECT tag, version_id FROM sg_meta.version_tags WHERE schema_name = %s ORDER BY tag"
        )
        rows = self._run(statement, [schema], ResultShape.MANY_MANY)
        return [Tag(name, VersionId(version_id)) for name, version_id in rows]

    def set_tag(self, schema: str, tag: Tag) -> None:
        """Point tag `tag.name` of `schema` at `tag.version_id`, moving it if it exists."""
        statement = sql.SQL(
            "INSERT INTO sg_meta.version_tags (schema_name, tag, version_id) VALUES (%s, %s, %s)"
            " ON CONFLICT (schema_name, tag) DO UPDATE SET version_id = excluded.version_id"
        )
        self._run(statement, [schema, tag.name, tag.version_id], ResultShape.NONE)

    def head(self, schema: str) -> VersionId | None:
        """The version the schema's live tables were last committed or checked out at."""
        statement = sql.SQL("SELECT version_id FROM sg_meta.version_heads WHERE schema_name = %s")
        found = self._run(statement, [schema], ResultShape.ONE_ONE)
        return None if found is None else VersionId(found)

    def set_head(self, schema: str, version_id: VersionId) -> None:
        """Record that the schema's live tables are now at `version_id`."""
        statement = sql.SQL(
            "INSERT INTO sg_meta.version_heads (schema_name, version_id) VALUES (%s, %s)"
            " ON CONFLICT (schema_name) DO UPDATE SET version_id = excluded.version_id"
        )
        self._run(statement, [schema, version_id], ResultShape.NONE)

    def referenced_objects(self) -> set[ObjectId]:
        """Every object any version of any schema needs."""
        statement = sql.SQL("SELECT sg_meta.version_objects()")
        return {ObjectId(o) for o in self._run(statement, None, ResultShape.MANY_ONE)}

    def remove_objects(self, object_ids: Sequence[ObjectId]) -> int:
        """Drop these objects' tables and registry rows; return the bytes they took.

        Each object's creation lock is taken first and references are checked afterwards, so
        an object a concurrent commit has just reused is kept.
        """
        for object_id in sorted(object_ids):
            self._run(_LOCK, [f"sg.object:{object_id}"], ResultShape.NONE)
        statement = sql.SQL(
            "DELETE FROM sg_meta.objects WHERE object_id = ANY(%s)"
            " AND object_id NOT IN (SELECT sg_meta.version_objects())"
            " RETURNING object_id, size_bytes"
        )
        removed = self._run(statement, [list(object_ids)], ResultShape.MANY_MANY)
        for object_id, _size in removed:
            drop = sql.SQL("DROP TABLE IF EXISTS {}").format(
                sql.Identifier(OBJECT_SCHEMA, ObjectId(object_id))
            )
            self._run(drop, None, ResultShape.NONE)
        return sum(int(size) for _, size in removed)

    def registered_objects(self) -> dict[ObjectId, int]:
        """Every registered object and its size in bytes."""
        statement = sql.SQL("SELECT object_id, size_bytes FROM sg_meta.objects")
        rows = self._run(statement, None, ResultShape.MANY_MANY)
        return {ObjectId(o): int(size) for o, size in rows}

    def current_role(self) -> str:
        """The database role the engine works as (a commit's default author)."""
        return str(self._run(sql.SQL("SELECT current_user"), None, ResultShape.ONE_ONE))


def _version(row: tuple[Any, ...]) -> Version:
    schema, version_id, parent, epoch, author, message, tables = row
    micros = int(Decimal(epoch) * 1_000_000)
    return Version(
        VersionId(version_id),
        schema,
        None if parent is None else VersionId(parent),
        _EPOCH + timedelta(microseconds=micros),
        author,
        message,
        tuple(TableVersion.from_json(t) for t in tables),
    )
