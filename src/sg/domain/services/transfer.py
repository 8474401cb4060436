"""The transfer service: move objects between engines, one verified, committed object at a time."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from sg.domain.errors import ObjectIdMismatchError, ObjectNotFoundError, SgError
from sg.domain.model import TableRef
from sg.domain.object_id import ObjectId, object_table
from sg.domain.object_record import LoadedBody, ObjectRecord
from sg.domain.verification import arrived_id
from sg.ports.fragments import FragmentStore
from sg.ports.progress import SilentProgress, TransferProgress
from sg.ports.registry import ObjectRegistry
from sg.ports.transport import ObjectTransport
from sg.ports.unit_of_work import UnitOfWork


class ObjectTransfer:
    """Moves registered objects from a source engine into a destination engine.

    Each object arrives whole — table, verified content, registry row — in its own
    committed destination transaction, or not at all; a failed transfer can simply be
    repeated. The source's transaction is only read from, never ended.
    """

    def __init__(
        self,
        source: ObjectRegistry,
        destination: ObjectRegistry,
        destination_store: FragmentStore,
        destination_work: UnitOfWork,
        transport: ObjectTransport,
        progress: TransferProgress | None = None,
        verify: bool = True,
    ) -> None:
        self._source = source
        self._destination = destination
        self._store = destination_store
        self._work = destination_work
        self._transport = transport
        self._progress = progress or SilentProgress()
        self._verify = verify

    def transfer(self, objects: Sequence[str]) -> list[ObjectId]:
        """Move every listed object the destination lacks; return the ids moved, in order.

        Every id is checked before anything moves: `InvalidObjectIdError` for a malformed
        one, `ObjectNotFoundError` naming those the source does not hold. The destination's
        open transaction is committed first; nothing is left uncommitted or locked after.
        """
        records = self._source_records(objects)
        wanted = [r for r in records if self._destination.get(r.object_id) is None]
        self._work.commit()
        tally = _Tally(self._progress)
        self._progress.started(len(wanted), sum(r.rows for r in wanted))
        moved: list[ObjectId] = []
        try:
            for record in wanted:
                if self._move(record, tally):
                    moved.append(record.object_id)
                tally.object_done(record.rows)
        finally:
            self._progress.finished()
        return moved

    def _source_records(self, objects: Sequence[str]) -> list[ObjectRecord]:
        ids = list(dict.fromkeys(ObjectId(str(value)) for value in objects))
        found = {object_id: self._source.get(object_id) for object_id in ids}
        missing = [object_id for object_id, record in found.items() if record is None]
        if missing:
            raise ObjectNotFoundError(
                f"the source engine has no object {', '.join(missing)}; nothing was transferred"
            )
        return [record for record in found.values() if record is not None]

    def _move(self, record: ObjectRecord, tally: _Tally) -> bool:
        """Move one object in one destination transaction; False if it was there already."""
        object_id = record.object_id
        table = object_table(object_id)
        try:
            # Serializes concurrent transfers of this object: the later one finds it registered.
            self._destination.lock(object_id)
            if self._destination.get(object_id) is not None:
                self._work.commit()
                return False
            self._store.create_table(table, record.columns, with_key=False)
            loaded = self._transport.copy_rows(
                table, record.columns, lambda rows: tally.rows_moved(min(rows, record.rows))
            )
            self._check(record, table, loaded)
            size = self._store.table_size(table)
            self._destination.add(record._replace(size_bytes=size, created_at=None))
            self._work.commit()
        except BaseException:
            # A lost connection has rolled back on the server already; the first error counts.
            with contextlib.suppress(SgError):
                self._work.rollback()
            raise
        return True

    def _check(self, record: ObjectRecord, table: TableRef, loaded: LoadedBody) -> None:
        object_id = record.object_id
        if loaded.rows != record.rows:
            raise ObjectIdMismatchError(
                f"object {object_id} arrived with {loaded.rows} rows but the source registers"
                f" {record.rows}; nothing of it was kept"
            )
        if not self._verify:
            return
        actual = arrived_id(
            record.columns, loaded, object_id, lambda: self._store.content_digest(table).digest
        )
        if actual != object_id:
            raise ObjectIdMismatchError(
                f"object {object_id} arrived with rows that hash to {actual}: the source's copy"
                " is damaged; nothing of it was kept"
            )


class _Tally:
    """Cumulative counts for the progress listener, never decreasing."""

    def __init__(self, progress: TransferProgress) -> None:
        self._progress = progress
        self._objects = 0
        self._rows_before = 0  # rows of the objects already done
        self._rows = 0

    def rows_moved(self, rows_of_current: int) -> None:
        rows = self._rows_before + rows_of_current
        if rows > self._rows:
            self._rows = rows
            self._progress.advanced(self._objects, rows)

    def object_done(self, rows_of_object: int) -> None:
        self._objects += 1
        self._rows_before += rows_of_object
        self._rows = self._rows_before
        self._progress.advanced(self._objects, self._rows)
