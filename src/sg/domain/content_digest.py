"""The order-independent content digest that object ids are derived from.

The content of an object is its rows, each encoded as one *tuple image*: the row in binary
COPY layout (field count, then length and bytes per field, -1 for NULL), each field holding
the *canonical bytes* of its value. The images are sorted bytewise and concatenated into
one body; the body is cut into fixed blocks of `BLOCK_BYTES`, and the digest is SHA-256
over the SHA-256 of every block in order. Sorting makes the digest independent of physical
row order; blocks let a server compute it without holding the whole body, and let a reader
of a canonically ordered COPY stream compute it on the fly. A server writing an object
stores its rows in canonical order (so that a COPY of the table streams them so) and then
computes the digest from the sorted images.

Canonical bytes depend on the value only, never on how it was produced, on the server or on
session settings. A value's content is what its text form says (under pinned DateStyle
ISO, TimeZone UTC, IntervalStyle postgres, extra_float_digits 1, bytea hex, UTF-8), written
in binary. What that decides, type by type:

- array: its has-nulls flag is not content (a slice of an array with NULLs carries it
  without holding any NULL); dimensions and lower bounds are (`'[2:3]={1,2}'` is another
  value than `'{1,2}'`), and so is each element, canonical in turn;
- float4/float8: every NaN is one value (PostgreSQL compares, hashes and prints all NaNs
  alike), written as the standard quiet NaN; -0 and 0 are distinct content, as their text
  forms are (`-0`, `0`) and `1/x` tells them apart, although `=` calls them equal;
- numeric: the scale is content (`1.0` and `1.00` print differently); NaN and the
  infinities have one form each;
- jsonb: its normalised form (keys sorted and unique, fixed spacing) behind the format
  version byte 1; number scale inside is content, as for numeric; json keeps its text;
- ranges and multiranges: their canonical form (discrete bounds normalised, every empty
  range one value), as PostgreSQL stores them; tsvector: lexemes sorted, as stored;
- timetz keeps its zone offset, interval its months/days/time split, char(n) its padding:
  all print differently, so all are content;
- text: its characters in UTF-8, whatever the server encoding; a column's collation is not
  content (neither of values nor of the column schema), and the sort is bytewise;
- geometric types: their coordinates as floats above (NaN canonical);
- user-defined types (enums, composites, domains over them, their arrays) and the
  catalog's composite row types: their text form in UTF-8.

Ids derived before this canonical form differ only for objects holding an array with a
has-nulls flag but no NULL, or a NaN other than the standard one.
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
