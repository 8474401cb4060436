"""The public engine facades, one module each, gathered here."""

from sg.adapters.postgres.connection import make_conn
from sg.app.change_engine import AuditTriggerChangeEngine
from sg.app.object_engine import PostgresEngine
from sg.app.sql_engine import PsycopgEngine

__all__ = ["AuditTriggerChangeEngine", "PostgresEngine", "PsycopgEngine", "make_conn"]
