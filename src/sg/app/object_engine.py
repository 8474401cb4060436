"""`PostgresEngine`: fragments, objects, dump/load and transfer on top of change tracking."""

from __future__ import annotations

from sg.app.change_engine import AuditTriggerChangeEngine


class PostgresEngine(AuditTriggerChangeEngine):
    """The full sg engine: stores tables' changes as objects and moves them between engines."""
