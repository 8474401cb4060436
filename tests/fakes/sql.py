"""An in-memory fake of the SQL port: remembers statements, answers canned queries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sg.domain.engine_params import EngineParams
from sg.domain.errors import (
    SqlSyntaxError,
)
from sg.domain.model import ResultShape
from sg.ports.sql import Arguments, Statement


@dataclass
class FakeSqlRunner:
    """A SQL port that answers scripted queries from memory and records what it ran."""

    params: EngineParams
    name: str
    answers: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    pending: list[tuple[str, Any]] = field(default_factory=list)
    committed: list[tuple[str, Any]] = field(default_factory=list)
    closed: bool = False
    opened: bool = False

    def _text(self, statement: Statement) -> str:
        return statement if isinstance(statement, str) else statement.as_string(None)

    def run(self, statement: Statement, arguments: Arguments | None, shape: ResultShape) -> Any:
        """Answer from `answers` (by statement text) or record the statement."""
        self.opened = True
        text = self._text(statement)
        if text.startswith("SELEC "):
            raise SqlSyntaxError('syntax error at or near "SELEC"', "42601")
        self.pending.append((text, arguments))
        rows = self.answers.get(text)
        if rows is None or shape == ResultShape.NONE:
            return None
        if shape == ResultShape.ONE_ONE:
            return rows[0][0] if rows else None
        if shape == ResultShape.ONE_MANY:
            return rows[0] if rows else None
        if shape == ResultShape.MANY_ONE:
            return [row[0] for row in rows]
        return list(rows)

    def run_batch(
        self, statement: Statement, arguments: Sequence[Arguments], schema: str | None
    ) -> None:
        """Record each argument set as one run of the statement."""
        for args in arguments:
            self.run(statement, args, ResultShape.NONE)

    def stream(
        self, statement: Statement, arguments: Arguments | None, batch_rows: int
    ) -> Iterator[tuple[Any, ...]]:
        """Yield the scripted rows."""
        yield from self.answers.get(self._text(statement), [])

    def column_names(self, statement: Statement, arguments: Arguments | None) -> list[str]:
        """No schema knowledge: no columns."""
        return []

    @contextmanager
    def user_session(self) -> Iterator[None]:
        """No session settings to switch."""
        yield

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Keep the statements run inside only if the block succeeds."""
        mark = len(self.pending)
        try:
            yield
        except BaseException:
            del self.pending[mark:]
            raise

    def commit(self) -> None:
        """Move pending statements to `committed`."""
        self.committed += self.pending
        self.pending.clear()

    def rollback(self) -> None:
        """Forget pending statements."""
        self.pending.clear()

    def close(self) -> None:
        """Commit and mark closed."""
        self.commit()
        self.closed = True

    def connect(self) -> None:
        """Mark the fake open."""
        self.opened = True

    def idle(self) -> bool:
        """Nothing pending."""
        return not self.pending
