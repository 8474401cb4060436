"""The SQL port: run statements on one engine's connection, with explicit transactions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sg.domain.model import ResultShape


class ComposedSql(Protocol):
    """A composed, safely quoted SQL statement (psycopg's `sql.Composable` is one)."""

    def as_string(self, context: Any = None, /) -> str:
        """Render the statement as text for the given connection context."""
        ...


Statement = str | ComposedSql
Arguments = Sequence[Any] | dict[str, Any]


class SqlRunner(Protocol):
    """Runs SQL on one lazily opened connection; the caller commits or rolls back."""

    def run(self, statement: Statement, arguments: Arguments | None, shape: ResultShape) -> Any:
        """Run one statement and shape its result; on error roll back and raise an `SgError`."""
        ...

    def run_batch(
        self, statement: Statement, arguments: Sequence[Arguments], schema: str | None
    ) -> None:
        """Run one statement per argument set in few round trips; `schema` is the search_path."""
        ...

    def stream(
        self, statement: Statement, arguments: Arguments | None, batch_rows: int
    ) -> Iterator[tuple[Any, ...]]:
        """Yield a query's rows through a server-side cursor; memory stays bounded."""
        ...

    def column_names(self, statement: Statement, arguments: Arguments | None) -> list[str]:
        """The names of the columns a query returns, without fetching its rows."""
        ...

    def user_session(self) -> AbstractContextManager[None]:
        """Statements inside run under the user's own session settings, not sg's pinned ones."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A savepoint: released on success, rolled back (and the error re-raised) on failure."""
        ...

    def commit(self) -> None:
        """Commit the current transaction (no-op when the connection is not open)."""
        ...

    def rollback(self) -> None:
        """Roll back the current transaction (no-op when the connection is not open)."""
        ...

    def close(self) -> None:
        """Commit and close the connection; the next call opens a new one."""
        ...

    def connect(self) -> None:
        """Open the connection now unless it is open; `EngineConnectionError` if it cannot."""
        ...

    def idle(self) -> bool:
        """True when no transaction is in progress (nor a connection open to hold one)."""
        ...
