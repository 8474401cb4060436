"""Whether sg is installed in the engine's database, and the one error saying it is not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sg.domain.errors import EngineNotInitializedError, UndefinedObjectError
from sg.domain.model import ResultShape
from sg.ports.sql import SqlRunner

SG_SCHEMAS = ("sg_meta", "sg_audit")
# Both schemas, and the capture machinery the last install script creates.
_INSTALLED = (
    "SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace"
    " WHERE nspname OPERATOR(pg_catalog.=) ANY(%s::pg_catalog.text[])) OPERATOR(pg_catalog.=) %s"
    " AND pg_catalog.to_regprocedure('sg_audit.track(regclass)') IS NOT NULL"
)


def is_installed(runner: SqlRunner) -> bool:
    """True when the engine's database holds sg's schemas and its capture machinery."""
    found = runner.run(_INSTALLED, [list(SG_SCHEMAS), len(SG_SCHEMAS)], ResultShape.ONE_ONE)
    return bool(found)


def not_initialized(lacking: str) -> EngineNotInitializedError:
    """The error for an engine whose database lacks `lacking` (sg's schemas, tables, ...)."""
    return EngineNotInitializedError(
        f"the engine's database lacks {lacking}; run initialize() (or `sg init`) first"
    )


@contextmanager
def installed(lacking: str) -> Iterator[None]:
    """Statements inside use only sg's own tables and functions: one of them missing means
    the engine was not initialized (`EngineNotInitializedError`, naming `lacking`)."""
    try:
        yield
    except UndefinedObjectError as exc:
        raise not_initialized(lacking) from exc
