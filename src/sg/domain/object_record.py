"""Values that describe fragments and objects as the ports report them."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sg.domain.model import ColumnSpec
from sg.domain.object_id import ObjectId


class ContentDigest(NamedTuple):
    """A table's row count and its order-independent content digest."""

    rows: int
    digest: bytes


class FragmentInfo(NamedTuple):
    """A fragment just written: its columns (flag last, key flags from the source) and counts."""

    columns: tuple[ColumnSpec, ...]
    rows_upserted: int
    rows_deleted: int
    # The written rows' digest when the store computed it while writing them.
    content: ContentDigest | None = None


class LoadedBody(NamedTuple):
    """What streaming a dump body into a table found.

    `digest` is the content digest of the streamed rows if the body was in canonical order,
    or None when the codec cannot tell from the stream alone (the caller then asks the store).
    """

    rows: int
    digest: bytes | None


class ObjectRecord(NamedTuple):
    """One registered object: id, column schema, row counts, size and creation time."""

    object_id: ObjectId
    columns: tuple[ColumnSpec, ...]
    rows_upserted: int
    rows_deleted: int
    size_bytes: int
    created_at: datetime | None = None

    @property
    def rows(self) -> int:
        """All rows of the object: upserts and delete markers."""
        return self.rows_upserted + self.rows_deleted
