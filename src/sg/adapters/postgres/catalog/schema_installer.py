"""Install sg's schemas by running the packaged `sql/*.sql` scripts in name order."""

from __future__ import annotations

from importlib import resources

from psycopg import sql

from sg.adapters.postgres.catalog.installation import is_installed
from sg.domain.model import ResultShape
from sg.ports.sql import SqlRunner

# Serialises concurrent `initialize()` calls on one database.
_INSTALL_LOCK = sql.SQL("SELECT pg_advisory_xact_lock(hashtext('sg.initialize'))")


def install_scripts() -> list[tuple[str, str]]:
    """`(name, text)` of every packaged install script, in the order they run."""
    folder = resources.files("sg.adapters.postgres").joinpath("sql")
    scripts = [
        (item.name, item.read_text("utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".sql")
    ]
    return sorted(scripts)


class PostgresSchemaInstaller:
    """Runs the idempotent install scripts inside the caller's transaction."""

    def __init__(self, runner: SqlRunner) -> None:
        self._sql = runner

    def install(self) -> None:
        """Create or upgrade everything sg needs in the engine's database."""
        self._sql.run(_INSTALL_LOCK, None, ResultShape.NONE)
        for _name, text in install_scripts():
            self._sql.run(sql.SQL(text), None, ResultShape.NONE)

    def is_installed(self) -> bool:
        """True when the engine's database holds sg's schemas."""
        return is_installed(self._sql)
