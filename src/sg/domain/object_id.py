"""Object ids: `o` + 62 lowercase hex digits, derived from an object's schema and content."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from sg.domain.column_schema import canonical_schema_bytes
from sg.domain.errors import InvalidObjectIdError
from sg.domain.model import ColumnSpec, TableRef

OBJECT_SCHEMA = "sg_meta"
_PATTERN = re.compile(r"o[0-9a-f]{62}")
# Changing anything hashed below changes every id: bump the tag with it.
_ID_TAG = b"sg-object-v1\n"


class ObjectId(str):
    """A validated object id; also the name of the object's table in `sg_meta`."""

    __slots__ = ()

    def __new__(cls, value: str) -> ObjectId:  # noqa: D102 - the class docstring covers it
        if not _PATTERN.fullmatch(value):
            raise InvalidObjectIdError(
                f"not an object id: {value!r} (expected 'o' and 62 lowercase hex digits)"
            )
        return super().__new__(cls, value)

    @classmethod
    def derive(cls, columns: Sequence[ColumnSpec], content_digest: bytes) -> ObjectId:
        """The id of an object with these columns whose rows have `content_digest`."""
        hasher = hashlib.sha256(_ID_TAG)
        hasher.update(canonical_schema_bytes(columns))
        hasher.update(b"\n")
        hasher.update(content_digest)
        return cls("o" + hasher.hexdigest()[:62])

    @classmethod
    def parse(cls, value: str) -> ObjectId | None:
        """The id `value` spells, or None when it is not one."""
        return cls(value) if _PATTERN.fullmatch(value) else None


def object_table(object_id: ObjectId) -> TableRef:
    """Where the object `object_id` is stored."""
    return TableRef(OBJECT_SCHEMA, object_id)


def object_id_of(table: TableRef) -> ObjectId | None:
    """The object id `table` is named by, if it is an object's table."""
    return ObjectId.parse(table.table) if table.schema == OBJECT_SCHEMA else None
