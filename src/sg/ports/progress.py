"""The progress port: how far a transfer has come, for a progress bar or a log."""

from __future__ import annotations

from typing import Protocol


class TransferProgress(Protocol):
    """Hears a transfer's totals up front, then cumulative counts as they grow."""

    def started(self, objects: int, rows: int) -> None:
        """The objects and rows about to move, before anything moves."""
        ...

    def advanced(self, objects: int, rows: int) -> None:
        """Objects finished and rows moved so far; neither ever decreases."""
        ...

    def finished(self) -> None:
        """The transfer ended, whether it succeeded or raised."""
        ...


class SilentProgress:
    """The default progress listener: hears everything and shows nothing."""

    def started(self, objects: int, rows: int) -> None:
        """Ignore the totals."""

    def advanced(self, objects: int, rows: int) -> None:
        """Ignore the counts."""

    def finished(self) -> None:
        """Nothing to close."""
