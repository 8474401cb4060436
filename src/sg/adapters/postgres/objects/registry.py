"""The object-registry port over the `sg_meta.objects` table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb

from sg.adapters.postgres.catalog.installation import installed
from sg.domain.column_schema import columns_from_json, schema_json
from sg.domain.errors import DuplicateObjectError
from sg.domain.model import ResultShape
from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord
from sg.ports.sql import SqlRunner

# Epoch seconds, because psycopg cannot parse timestamps under every DateStyle.
_GET = (
    "SELECT columns, rows_upserted, rows_deleted, size_bytes, extract(epoch FROM created_at)"
    " FROM sg_meta.objects WHERE object_id = %s"
)
_ADD = (
    "INSERT INTO sg_meta.objects (object_id, columns, rows_upserted, rows_deleted, size_bytes)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (object_id) DO NOTHING RETURNING object_id"
)
_IDS = "SELECT object_id FROM sg_meta.objects ORDER BY object_id"
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('sg.object:' || %s, 0))"


class PostgresObjectRegistry:
    """Registry rows in `sg_meta.objects`, through the SQL port."""

    def __init__(self, runner: SqlRunner) -> None:
        self._sql = runner

    def _run(self, statement: str, arguments: list[Any] | None, shape: ResultShape) -> Any:
        with installed("sg's object registry"):
            return self._sql.run(statement, arguments, shape)

    def get(self, object_id: ObjectId) -> ObjectRecord | None:
        """The record of `object_id`, or None when it is not registered."""
        row: tuple[Any, ...] | None = self._run(_GET, [str(object_id)], ResultShape.ONE_MANY)
        if row is None:
            return None
        columns, upserted, deleted, size, created = row
        return ObjectRecord(
            object_id,
            tuple(columns_from_json(columns)),
            int(upserted),
            int(deleted),
            int(size),
            datetime.fromtimestamp(float(created), tz=UTC),
        )

    def add(self, record: ObjectRecord) -> None:
        """Register an object; `DuplicateObjectError` if its id is registered already."""
        added = self._run(
            _ADD,
            [
                str(record.object_id),
                Jsonb(schema_json(record.columns)),
                record.rows_upserted,
                record.rows_deleted,
                record.size_bytes,
            ],
            ResultShape.ONE_ONE,
        )
        if added is None:
            raise DuplicateObjectError(f"object {record.object_id} is registered already", "23505")

    def ids(self) -> list[ObjectId]:
        """Every registered id, sorted."""
        return [ObjectId(value) for value in self._run(_IDS, None, ResultShape.MANY_ONE)]

    def lock(self, object_id: ObjectId) -> None:
        """Serialize everyone creating `object_id` until the transaction ends."""
        self._sql.run(_LOCK, [str(object_id)], ResultShape.NONE)
