"""`AuditTriggerChangeEngine`: change tracking on top of the SQL engine."""

from __future__ import annotations

from sg.app.sql_engine import PsycopgEngine


class AuditTriggerChangeEngine(PsycopgEngine):
    """Tracks changes to tables with an audit trigger."""
