"""Reading dump streams handed in by callers: only bytes, and failures as typed errors."""

from __future__ import annotations

from typing import IO

from sg.domain.errors import CorruptDumpError, InvalidStreamError


def check_reader(stream: object) -> None:
    """`InvalidStreamError` unless `stream` has a callable `read`."""
    if not callable(getattr(stream, "read", None)):
        raise InvalidStreamError(
            f"expected a binary stream to read the dump from, got {type(stream).__name__};"
            " open files with mode 'rb'"
        )


def read_some(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes (b"" at the end); `InvalidStreamError` for text or a failing read."""
    try:
        data = stream.read(size)
    except (OSError, ValueError) as exc:
        raise InvalidStreamError(f"reading the dump stream failed: {exc}") from exc
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    if data is None:  # a non-blocking stream with nothing ready
        raise InvalidStreamError("the dump stream is non-blocking and had no data ready")
    raise InvalidStreamError(
        f"the dump stream returned {type(data).__name__}, not bytes; open files with mode 'rb'"
    )


def read_exactly(stream: IO[bytes], size: int, what: str) -> bytes:
    """Exactly `size` bytes; `CorruptDumpError` naming `what` if the stream ends first."""
    data = bytearray()
    while len(data) < size:
        chunk = read_some(stream, size - len(data))
        if not chunk:
            raise CorruptDumpError(f"the dump stream ends inside the {what}: it is truncated")
        data += chunk
    return bytes(data)
