"""The object service: fragments become content-addressed objects; objects dump and load."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import IO

from sg.domain.byte_streams import check_reader
from sg.domain.column_schema import FLAG_COLUMN, FLAG_TYPE
from sg.domain.dump_header import DumpHeader, read_header
from sg.domain.errors import (
    CorruptDumpError,
    DatabaseError,
    DuplicateObjectError,
    ObjectIdMismatchError,
    ObjectNotFoundError,
    TableNotFoundError,
)
from sg.domain.identifiers import check_table
from sg.domain.model import ColumnSpec, RowFilter, StagedKeys, TableRef
from sg.domain.object_id import OBJECT_SCHEMA, ObjectId, object_id_of, object_table
from sg.domain.object_record import FragmentInfo, LoadedBody, ObjectRecord
from sg.domain.verification import arrived_id
from sg.ports.codec import ObjectCodec
from sg.ports.fragments import FragmentStore, KeyTuple
from sg.ports.registry import ObjectRegistry
from sg.ports.transaction import Transaction


class ObjectService:
    """Stores, registers, applies, dumps and loads objects; every method is all-or-nothing
    inside the caller's transaction, which the caller commits."""

    def __init__(
        self,
        store: FragmentStore,
        registry: ObjectRegistry,
        codec: ObjectCodec,
        transaction: Transaction,
    ) -> None:
        self._store = store
        self._registry = registry
        self._codec = codec
        self._tx = transaction

    def store_fragment(
        self,
        inserted: Sequence[KeyTuple],
        deleted: Sequence[KeyTuple],
        target: TableRef,
        source: TableRef,
    ) -> FragmentInfo:
        """Create `target` with the source's current state of every inserted or deleted key."""
        with self._tx.savepoint():
            return self._store.create_fragment(target, source, [*inserted, *deleted])

    def store_object(
        self, source: TableRef, inserted: Sequence[KeyTuple], deleted: Sequence[KeyTuple]
    ) -> ObjectId:
        """Store the source's current state of the given keys as a registered object."""
        with self._tx.savepoint():
            staging = _staging_table()
            info = self._store.create_fragment(staging, source, [*inserted, *deleted])
            return self._register(staging, info)

    def store_staged(self, source: TableRef, keys: StagedKeys) -> ObjectId:
        """Store the source's current state of keys the engine holds as a registered object."""
        with self._tx.savepoint():
            staging = _staging_table()
            info = self._store.create_staged_fragment(staging, source, keys)
            return self._register(staging, info)

    def snapshot(self, source: TableRef) -> ObjectId:
        """Store every row of `source` as one registered object."""
        with self._tx.savepoint():
            staging = _staging_table()
            return self._register(staging, self._store.create_snapshot(staging, source))

    def apply(
        self,
        fragments: Sequence[TableRef],
        target: TableRef,
        row_filter: RowFilter | None = None,
    ) -> None:
        """Apply fragments to `target` in order, all or nothing; `row_filter` keeps upserts out."""
        self._require([*fragments, target])
        if fragments:
            key = self._fragment_key(fragments)
            self._store.apply(fragments, target, key, row_filter)

    def list_objects(self) -> list[ObjectId]:
        """Ids of every registered object, sorted."""
        return self._registry.ids()

    def describe(self, object_id: ObjectId) -> ObjectRecord:
        """The registry record of `object_id`; `ObjectNotFoundError` when it is not here."""
        record = self._registry.get(object_id)
        if record is None:
            raise ObjectNotFoundError(
                f"object {object_id} is not in this engine; download or load it first"
            )
        return record

    def checkout(self, object_ids: Sequence[ObjectId], target: TableRef) -> bool:
        """Apply objects in order to `target`, first creating it from the first object's
        columns when it is missing; True when it was created. All or nothing."""
        records = [self.describe(object_id) for object_id in object_ids]
        if not records:
            raise ObjectNotFoundError("no objects given to check out")
        with self._tx.savepoint():
            created = bool(self._store.missing([target]))
            if created:
                columns = [c for c in records[0].columns if c.name != FLAG_COLUMN]
                # The key comes after the rows: one index build costs less than keeping
                # the index up to date row by row.
                self._store.create_table(target, columns, with_key=False)
            self.apply([object_table(r.object_id) for r in records], target)
            if created and (key := [c.name for c in columns if c.is_pk]):
                self._store.add_primary_key(target, key)
        return created

    def dump(self, table: TableRef, stream: IO[bytes]) -> DumpHeader:
        """Write a header and the rows of `table` to `stream`; return the header."""
        check_table(table)
        with self._tx.savepoint():
            header = self._describe(table)
            stream.write(header.encode())
            written = self._codec.write_body(table, header.columns, stream)
        if written != header.rows:
            raise CorruptDumpError(
                f"{table} holds {written} rows but is registered with {header.rows}"
            )
        return header

    def load(self, table: TableRef, stream: IO[bytes]) -> DumpHeader:
        """Create `table` from a dump, verified against its id; register it if it is
        loaded into `sg_meta` under that id. On any failure nothing is left behind."""
        check_table(table)
        check_reader(stream)
        header = read_header(stream)
        body = self._codec.open_body(stream)
        # A fragment may hold a delete marker and upserts for one key: no key constraint.
        fragment = header.columns[-1].name == FLAG_COLUMN
        if fragment and header.columns[-1].type != FLAG_TYPE:
            raise CorruptDumpError(f"the dump's {FLAG_COLUMN} column is not {FLAG_TYPE}")
        register = table == object_table(header.object_id)
        if register and not fragment:
            raise CorruptDumpError(
                f"the dump of {header.object_id} is not a fragment (no {FLAG_COLUMN} column);"
                " load it outside sg_meta"
            )
        with self._tx.savepoint():
            if not self._store.missing([table]):
                raise DuplicateObjectError(
                    f"table {table} already exists; load into a new name or drop it first",
                    "42P07",
                )
            self._create_for_dump(table, header.columns, with_key=not fragment)
            loaded = body.load_into(table, header.columns, max_rows=header.rows)
            self._verify(table, header, loaded)
            if register:
                self._register_loaded(table, header)
        return header

    def _create_for_dump(
        self, table: TableRef, columns: Sequence[ColumnSpec], with_key: bool
    ) -> None:
        try:
            self._store.create_table(table, columns, with_key=with_key)
        except DatabaseError as exc:
            if exc.sqlstate not in _BAD_COLUMN_SCHEMA:
                raise
            raise CorruptDumpError(
                f"the dump's columns do not make a table here ({exc}); a type it names may"
                " need creating first"
            ) from exc

    def _register(self, staging: TableRef, info: FragmentInfo) -> ObjectId:
        content = info.content or self._store.content_digest(staging)
        object_id = ObjectId.derive(info.columns, content.digest)
        self._registry.lock(object_id)
        if self._registry.get(object_id) is not None:
            self._store.drop(staging)
            return object_id
        self._store.rename(staging, object_id)
        size = self._store.table_size(object_table(object_id))
        record = ObjectRecord(object_id, info.columns, info.rows_upserted, info.rows_deleted, size)
        self._registry.add(record)
        return object_id

    def _register_loaded(self, table: TableRef, header: DumpHeader) -> None:
        self._registry.lock(header.object_id)
        upserted, deleted = self._store.flag_counts(table)
        size = self._store.table_size(table)
        self._registry.add(ObjectRecord(header.object_id, header.columns, upserted, deleted, size))

    def _verify(self, table: TableRef, header: DumpHeader, loaded: LoadedBody) -> None:
        if loaded.rows != header.rows:
            raise CorruptDumpError(
                f"the dump header promises {header.rows} rows but its body holds {loaded.rows}"
            )
        actual = arrived_id(
            header.columns,
            loaded,
            header.object_id,
            lambda: self._store.content_digest(table).digest,
        )
        if actual != header.object_id:
            raise ObjectIdMismatchError(
                f"the dump claims object {header.object_id} but its rows hash to {actual}"
            )

    def _describe(self, table: TableRef) -> DumpHeader:
        object_id = object_id_of(table)
        if object_id is not None:
            record = self._registry.get(object_id)
            if record is not None:
                return DumpHeader(object_id, record.columns, record.rows)
        self._require([table])
        self._store.block_writers(table)
        columns = self._store.columns(table)
        content = self._store.content_digest(table)
        return DumpHeader(ObjectId.derive(columns, content.digest), tuple(columns), content.rows)

    def _fragment_key(self, fragments: Sequence[TableRef]) -> list[str] | None:
        """The key the first registered object among `fragments` was stored with."""
        for fragment in fragments:
            object_id = object_id_of(fragment)
            record = self._registry.get(object_id) if object_id is not None else None
            if record is not None:
                return [c.name for c in record.columns if c.is_pk]
        return None

    def _require(self, tables: Sequence[TableRef]) -> None:
        for table in self._store.missing(tables):
            object_id = object_id_of(table)
            if object_id is not None:
                raise ObjectNotFoundError(
                    f"object {object_id} is not in this engine; download or load it first"
                )
            raise TableNotFoundError.named(*table)


# What CREATE TABLE says of column definitions it cannot make: undefined or shell type,
# bad syntax, type modifier or definition, unsupported type.
_BAD_COLUMN_SCHEMA = frozenset(
    {"42704", "42601", "42611", "42P16", "42809", "42846", "22023", "22P02", "0A000"}
)


def _staging_table() -> TableRef:
    return TableRef(OBJECT_SCHEMA, f"sg_staging_{uuid.uuid4().hex}")
