"""Hash a binary COPY stream's tuples as it passes, without holding more than a few bytes."""

from __future__ import annotations

import struct

from sg.adapters.postgres.objects.copy_codec import COPY_SIGNATURE, COPY_TRAILER
from sg.domain.content_digest import BlockDigest
from sg.domain.errors import CorruptDumpError

_FIXED_HEADER = struct.Struct(">11sII")  # signature, flags, length of the header extension


class CopyStreamDigest:
    """The content digest of the tuples of a binary COPY stream fed in pieces of any size.

    Header and trailer are not content. The digest equals the object's content digest when
    the tuples arrive in canonical order and every column's binary form is its image.
    """

    def __init__(self) -> None:
        self._digest = BlockDigest()
        self._head = bytearray()
        self._skip: int | None = None  # header bytes still to pass over, once known
        self._held = b""  # the last two bytes seen: the trailer, unless more follows

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Feed the next bytes of the stream."""
        view = memoryview(data)
        if self._skip is None:
            view = self._read_header(view)
        if self._skip:
            skipped = min(self._skip, len(view))
            self._skip -= skipped
            view = view[skipped:]
        if not view:
            return
        if len(view) < 2:
            joined = self._held + bytes(view)
            self._digest.update(joined[:-2])
            self._held = joined[-2:]
            return
        self._digest.update(self._held)
        self._digest.update(view[:-2])
        self._held = bytes(view[-2:])

    def digest(self) -> bytes:
        """The digest of the tuples; `CorruptDumpError` if the stream ended early."""
        if self._skip != 0 or self._held != COPY_TRAILER:
            raise CorruptDumpError("the COPY stream ended before its trailer")
        return self._digest.digest()

    def _read_header(self, view: memoryview) -> memoryview:
        need = _FIXED_HEADER.size - len(self._head)
        self._head += view[:need]
        view = view[need:]
        if len(self._head) == _FIXED_HEADER.size:
            signature, _flags, extension = _FIXED_HEADER.unpack(self._head)
            if signature != COPY_SIGNATURE:
                raise CorruptDumpError("the source did not send a binary COPY stream")
            self._skip = extension
        return view
