"""`PostgresEngine`: fragments, objects, dump/load and transfer on top of change tracking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from sg.app.facades.change_engine import AuditTriggerChangeEngine
from sg.app.facades.transfers import TransferEnd, move_objects
from sg.domain.model import RowFilter, TableRef
from sg.domain.object_id import ObjectId
from sg.domain.object_record import ObjectRecord
from sg.domain.services.objects import ObjectService
from sg.domain.services.versions import VersionService
from sg.ports.progress import TransferProgress
from sg.ports.sql import ComposedSql


class PostgresEngine(AuditTriggerChangeEngine):
    """The full sg engine: stores tables' changes as objects and moves them between engines."""

    @property
    def objects(self) -> ObjectService:
        """The object service of this engine's graph."""
        return self._graph.object_service()

    @property
    def versions(self) -> VersionService:
        """The version service of this engine's graph."""
        return self._graph.version_service()

    def commit_changes(self, schema: str, table: str) -> str | None:
        """Store the table's net pending changes as one object and discard exactly them.

        Returns the object id, or None (storing nothing) when there is no net change. Writers
        of the table wait from the read until this engine's transaction ends: commit soon.
        """
        object_id = self._graph.change_committer().commit(TableRef(schema, table))
        return None if object_id is None else str(object_id)

    def store_fragment(
        self,
        inserted: Sequence[tuple[Any, ...]],
        deleted: Sequence[tuple[Any, ...]],
        schema: str,
        table: str,
        source_schema: str,
        source_table: str,
    ) -> None:
        """Store the source table's current state of the given keys in `schema.table`.

        Keys (tuples of key values; whole rows for a table without a primary key) that the
        source holds become upsert rows, the others delete markers.
        """
        self.objects.store_fragment(
            inserted, deleted, TableRef(schema, table), TableRef(source_schema, source_table)
        )

    def apply_fragments(
        self,
        objects: Sequence[tuple[str, str]],
        target_schema: str,
        target_table: str,
        extra_quals: ComposedSql | None = None,
        extra_qual_args: Sequence[Any] | None = None,
    ) -> None:
        """Apply fragments `[(schema, table)]` in order to the target, all or nothing.

        `extra_quals` (a `psycopg.sql.Composable` with `%s` placeholders, arguments in
        `extra_qual_args`) filters the rows inserted, never the keys deleted.
        """
        self.objects.apply(
            [TableRef(*o) for o in objects],
            TableRef(target_schema, target_table),
            None if extra_quals is None else RowFilter(extra_quals, tuple(extra_qual_args or ())),
        )

    def dump_object(self, schema: str, table: str, stream: IO[bytes]) -> None:
        """Write the table as a dump: a header, then its binary COPY stream."""
        self.objects.dump(TableRef(schema, table), stream)

    def load_object(self, schema: str, table: str, stream: IO[bytes]) -> None:
        """Create `schema.table` from a dump, verified; registered when it is an object."""
        self.objects.load(TableRef(schema, table), stream)

    def snapshot_table(self, schema: str, table: str) -> str:
        """Store every row of the table as one object; return its id."""
        return str(self.objects.snapshot(TableRef(schema, table)))

    def list_objects(self) -> list[str]:
        """Ids of every object registered in this engine, sorted."""
        return [str(object_id) for object_id in self.objects.list_objects()]

    def describe_object(self, object_id: str) -> ObjectRecord:
        """The registry record of an object: columns, rows upserted/deleted, size, created."""
        return self.objects.describe(ObjectId(object_id))

    def checkout_objects(self, objects: Sequence[str], schema: str, table: str) -> bool:
        """Apply objects in order to `schema.table`, creating the schema and the table (from
        the first object's columns) when missing; True when the table was created."""
        ids = [ObjectId(object_id) for object_id in objects]
        with self.savepoint():
            self.create_schema(schema)
            return self.objects.checkout(ids, TableRef(schema, table))

    def upload_objects(
        self,
        objects: Sequence[str],
        remote_engine: PostgresEngine,
        *,
        progress: TransferProgress | None = None,
        verify: bool = True,
    ) -> list[str]:
        """Copy objects from this engine to `remote_engine`; return the ids it lacked and got.

        Each object is verified against its id and committed on the remote as it arrives;
        an interrupted upload can be repeated. See `download_objects` for the errors.
        """
        return self._move(objects, remote_engine, upload=True, progress=progress, verify=verify)

    def download_objects(
        self,
        objects: Sequence[str],
        remote_engine: PostgresEngine,
        *,
        progress: TransferProgress | None = None,
        verify: bool = True,
    ) -> list[str]:
        """Copy objects from `remote_engine` to this engine; return the ids this one lacked.

        Each object is verified against its id and committed here as it arrives (this
        engine's open transaction is committed first); an interrupted download can be
        repeated. `InvalidObjectIdError` or `ObjectNotFoundError` before anything moves,
        `RemoteEngineError` when the remote cannot be reached, `ObjectIdMismatchError` when
        an object's rows do not hash to its id.
        """
        return self._move(objects, remote_engine, upload=False, progress=progress, verify=verify)

    def _move(
        self,
        objects: Sequence[str],
        remote_engine: PostgresEngine,
        *,
        upload: bool,
        progress: TransferProgress | None,
        verify: bool,
    ) -> list[str]:
        here, there = self._transfer_end(), remote_engine._transfer_end()
        source, destination = (here, there) if upload else (there, here)
        return move_objects(
            self._template,
            objects,
            source=source,
            destination=destination,
            remote=there,
            progress=progress,
            verify=verify,
        )

    def _transfer_end(self) -> TransferEnd:
        return TransferEnd(self.name, self._graph)
