"""The header in front of every object dump: magic, version, column schema, id, row count."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import IO

from sg.domain.byte_streams import read_exactly, read_some
from sg.domain.column_schema import columns_from_json, schema_json
from sg.domain.errors import CorruptDumpError, InvalidObjectIdError
from sg.domain.model import ColumnSpec
from sg.domain.object_id import ObjectId

MAGIC = b"\x89SGOBJ\r\n"  # a high byte and CR LF expose 7-bit or newline-mangling transports
FORMAT_VERSION = 1
_PREFIX = struct.Struct(">8sHI")  # magic, version, length of the JSON that follows
MAX_HEADER_JSON = 4 << 20
MAX_ROWS = (1 << 63) - 1  # PostgreSQL counts rows in a bigint


@dataclass(frozen=True)
class DumpHeader:
    """What a dump says about the object it carries."""

    object_id: ObjectId
    columns: tuple[ColumnSpec, ...]
    rows: int

    def encode(self) -> bytes:
        """The header bytes: fixed prefix, then compact UTF-8 JSON."""
        document = {
            "object_id": str(self.object_id),
            "columns": schema_json(self.columns),
            "rows": self.rows,
        }
        payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        return _PREFIX.pack(MAGIC, FORMAT_VERSION, len(payload)) + payload


def read_header(stream: IO[bytes]) -> DumpHeader:
    """Read and validate a header, consuming exactly its bytes; `CorruptDumpError` if bad."""
    first = read_some(stream, _PREFIX.size)
    if not first:
        raise CorruptDumpError("the dump stream is empty")
    prefix = first + read_exactly(stream, _PREFIX.size - len(first), "header")
    magic, version, length = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise CorruptDumpError("not an sg object dump (bad magic bytes)")
    if version != FORMAT_VERSION:
        raise CorruptDumpError(f"unsupported dump format version {version}")
    if length > MAX_HEADER_JSON:
        raise CorruptDumpError(f"dump header claims {length} bytes; refusing")
    return _parse(read_exactly(stream, length, "header"))


def _parse(payload: bytes) -> DumpHeader:
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CorruptDumpError(f"dump header is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or set(document) != {"object_id", "columns", "rows"}:
        raise CorruptDumpError("dump header must hold exactly object_id, columns and rows")
    rows = document["rows"]
    if not isinstance(rows, int) or isinstance(rows, bool) or not 0 <= rows <= MAX_ROWS:
        raise CorruptDumpError(f"dump header has a bad row count {rows!r}"[:200])
    claimed = document["object_id"]
    if not isinstance(claimed, str):
        raise CorruptDumpError(f"dump header has a bad object id {claimed!r}"[:200])
    try:
        object_id = ObjectId(claimed)
    except InvalidObjectIdError as exc:
        raise CorruptDumpError(f"dump header: {exc}"[:300]) from None
    return DumpHeader(object_id, tuple(columns_from_json(document["columns"])), rows)
