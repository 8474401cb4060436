"""The sg error hierarchy: every failure a user can cause has a type and a message that helps."""

from __future__ import annotations


class SgError(Exception):
    """Root of every error sg raises."""


class ConfigurationError(SgError):
    """Engine parameters are missing or malformed."""


class EngineConnectionError(SgError):
    """The engine's server could not be reached or refused the credentials."""


class EngineNotInitializedError(SgError):
    """The engine's database lacks sg's schemas; run `initialize()` (or `sg init`) first."""


class InvalidIdentifierError(SgError, ValueError):
    """A schema, table or column name is empty, too long or otherwise unusable."""


class DatabaseError(SgError):
    """A statement failed on the server; carries SQLSTATE and the server's own message."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class SqlSyntaxError(DatabaseError):
    """The server could not parse the statement (SQLSTATE 42601)."""


class UndefinedObjectError(DatabaseError):
    """The statement names a table, column, schema or function that does not exist."""


class TableNotFoundError(UndefinedObjectError):
    """A table that an operation needs does not exist."""

    @classmethod
    def named(cls, schema: str, table: str, hint: str = "") -> TableNotFoundError:
        """The error for `schema.table`, with an optional hint on what to do."""
        message = f"table {schema}.{table} does not exist"
        return cls(f"{message}; {hint}" if hint else message, "42P01")


class DuplicateObjectError(DatabaseError):
    """The statement creates something that already exists."""


class IntegrityViolationError(DatabaseError):
    """A constraint (unique, foreign key, not null, check) rejected the change."""


class DataValueError(DatabaseError):
    """A value is invalid for its type (bad input syntax, overflow, division by zero)."""


class PermissionDeniedError(DatabaseError):
    """The engine's role lacks a privilege the statement needs."""


class TransactionConflictError(DatabaseError):
    """Serialization failure, deadlock or lock timeout: the work can be retried."""


class QueryCanceledError(DatabaseError):
    """The statement was canceled (statement timeout or explicit cancel)."""


class TableNotTrackedError(SgError):
    """Changes were asked of a table that is not tracked; track it first."""


class TrackingBrokenError(SgError):
    """A tracked table's capture was disabled, dropped or outgrown: its pending changes cannot
    be trusted until the table is tracked again."""


class UntrustedObjectError(SgError):
    """An operation would run code owned by a role sg does not trust with its privileges."""


class ObjectNotFoundError(SgError):
    """An object id names no object in the engine (or in the remote engine)."""


class InvalidObjectIdError(SgError, ValueError):
    """A string is not an object id (`o` followed by 62 lowercase hex digits)."""


class CorruptDumpError(SgError):
    """A dump stream is empty, truncated, of another format or tampered with."""


class ObjectIdMismatchError(CorruptDumpError):
    """An object's content does not hash to the id it claims."""


class RemoteEngineError(EngineConnectionError):
    """The remote engine of a transfer could not be reached or refused the credentials."""


class TransportUnavailableError(ConfigurationError):
    """The chosen transfer transport cannot run on this server (e.g. postgres_fdw missing)."""


class InvalidStreamError(SgError, TypeError):
    """A dump stream is not a binary file object (open files with 'rb' or 'wb') or failed."""


class ObjectSchemaMismatchError(SgError):
    """Objects applied together (or to one table) do not share one column schema."""


class FileAccessError(SgError):
    """A file or directory named by the user cannot be read or written as asked."""


class VersionNotFoundError(SgError):
    """A version name (tag, id or id prefix) matches no version of the schema."""


class AmbiguousVersionError(SgError):
    """An id prefix matches more than one version; give more digits."""


class PendingChangesError(SgError):
    """The schema has uncommitted changes an operation would lose; commit or force."""


class NotVersionedError(SgError):
    """The schema has no versions yet; start versioning it with `init` first."""
