"""Ports for creating and dropping databases and installing sg's schemas into one."""

from __future__ import annotations

from typing import Protocol


class DatabaseAdmin(Protocol):
    """Works on whole databases through the engine's admin connection (autocommit)."""

    def database_exists(self, name: str) -> bool:
        """True when database `name` exists."""
        ...

    def ensure_database(self, name: str) -> bool:
        """Create database `name` unless it exists; True when it was created."""
        ...

    def drop_database(self, name: str) -> None:
        """Drop database `name` (closing other sessions on it); missing is not an error."""
        ...


class SchemaInstaller(Protocol):
    """Installs sg's schemas, tables and functions; idempotent; the caller commits."""

    def install(self) -> None:
        """Create or upgrade everything sg needs in the engine's database."""
        ...

    def is_installed(self) -> bool:
        """True when the engine's database holds sg's schemas."""
        ...
