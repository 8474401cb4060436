"""The order-independent content digest that object ids are derived from.

The content of an object is its rows, each encoded as one *tuple image* (for PostgreSQL:
the row exactly as binary COPY writes it). The images are sorted bytewise and
concatenated into one body; the body is cut into fixed blocks of `BLOCK_BYTES`, and the
digest is SHA-256 over the SHA-256 of every block in order. Sorting makes the digest
independent of physical row order; blocks let a server compute it without holding the
whole body, and let a reader of a canonically ordered COPY stream compute it on the fly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

BLOCK_BYTES = 1 << 20


class BlockDigest:
    """Incremental digest of a body fed in pieces of any size."""

    def __init__(self) -> None:
        self._outer = hashlib.sha256()
        self._block = hashlib.sha256()
        self._filled = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Feed the next bytes of the body."""
        view = memoryview(data)
        while view:
            take = min(len(view), BLOCK_BYTES - self._filled)
            self._block.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == BLOCK_BYTES:
                self._outer.update(self._block.digest())
                self._block = hashlib.sha256()
                self._filled = 0

    def digest(self) -> bytes:
        """The digest of everything fed so far (a trailing partial block counts as one)."""
        outer = self._outer.copy()
        if self._filled:
            outer.update(self._block.digest())
        return outer.digest()


def digest_of_images(images: Iterable[bytes]) -> bytes:
    """The content digest of rows given as tuple images in any order."""
    digest = BlockDigest()
    for image in sorted(images):
        digest.update(image)
    return digest.digest()
