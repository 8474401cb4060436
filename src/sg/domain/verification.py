"""The one rule by which rows that arrived are checked against the object id they claim."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sg.domain.model import ColumnSpec
from sg.domain.object_id import ObjectId
from sg.domain.object_record import LoadedBody


def arrived_id(
    columns: Sequence[ColumnSpec],
    loaded: LoadedBody,
    claimed: ObjectId,
    stored_digest: Callable[[], bytes],
) -> ObjectId:
    """The id the arrived rows hash to: from the stream's digest when that proves `claimed`
    (canonical order, images as bytes), else from `stored_digest()`, the content digest the
    engine computes of the rows it now holds."""
    if loaded.digest is not None and ObjectId.derive(columns, loaded.digest) == claimed:
        return claimed
    return ObjectId.derive(columns, stored_digest())
