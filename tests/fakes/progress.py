"""A fake of the progress port that records every call."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RecordingProgress:
    """Remembers every call, in order."""

    events: list[tuple[str, int, int]] = field(default_factory=list)

    def started(self, objects: int, rows: int) -> None:
        """Record the totals."""
        self.events.append(("started", objects, rows))

    def advanced(self, objects: int, rows: int) -> None:
        """Record the counts."""
        self.events.append(("advanced", objects, rows))

    def finished(self) -> None:
        """Record the end."""
        self.events.append(("finished", 0, 0))
