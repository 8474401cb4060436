"""sg: git-like plumbing for PostgreSQL tables.

The public names load on first use, so that `import sg` (and the `sg` command) stays quick;
the engine classes bring in psycopg and dependency-injector only when asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sg.app.container import (
        Container,
        container,
    )
    from sg.app.facades import (
        AuditTriggerChangeEngine,
        PostgresEngine,
        PsycopgEngine,
        make_conn,
    )
    from sg.app.facades.versioned_schema import VersionedSchema
    from sg.domain.capture import CompactedLog
    from sg.domain.errors import (
        AmbiguousVersionError,
        ConfigurationError,
        CorruptDumpError,
        DatabaseError,
        DataValueError,
        DuplicateObjectError,
        EngineConnectionError,
        EngineNotInitializedError,
        FileAccessError,
        IntegrityViolationError,
        InvalidIdentifierError,
        InvalidObjectIdError,
        InvalidStreamError,
        NotVersionedError,
        ObjectIdMismatchError,
        ObjectNotFoundError,
        ObjectSchemaMismatchError,
        PendingChangesError,
        PermissionDeniedError,
        QueryCanceledError,
        RemoteEngineError,
        SgError,
        SqlSyntaxError,
        TableNotFoundError,
        TableNotTrackedError,
        TrackingBrokenError,
        TransactionConflictError,
        TransportUnavailableError,
        UndefinedObjectError,
        UntrustedObjectError,
        VersionNotFoundError,
    )
    from sg.domain.model import (
        Change,
        ChangeKind,
        ResultShape,
    )
    from sg.domain.object_id import (
        ObjectId,
    )
    from sg.domain.versions import TableDiff, TableVersion, Tag, Version, VersionId

_HOMES = {
    "Container": "sg.app.container",
    "container": "sg.app.container",
    "AuditTriggerChangeEngine": "sg.app.facades",
    "PostgresEngine": "sg.app.facades",
    "PsycopgEngine": "sg.app.facades",
    "make_conn": "sg.app.facades",
    "ConfigurationError": "sg.domain.errors",
    "CorruptDumpError": "sg.domain.errors",
    "DataValueError": "sg.domain.errors",
    "DatabaseError": "sg.domain.errors",
    "DuplicateObjectError": "sg.domain.errors",
    "EngineConnectionError": "sg.domain.errors",
    "EngineNotInitializedError": "sg.domain.errors",
    "FileAccessError": "sg.domain.errors",
    "IntegrityViolationError": "sg.domain.errors",
    "InvalidIdentifierError": "sg.domain.errors",
    "InvalidObjectIdError": "sg.domain.errors",
    "InvalidStreamError": "sg.domain.errors",
    "ObjectIdMismatchError": "sg.domain.errors",
    "ObjectNotFoundError": "sg.domain.errors",
    "ObjectSchemaMismatchError": "sg.domain.errors",
    "PermissionDeniedError": "sg.domain.errors",
    "QueryCanceledError": "sg.domain.errors",
    "RemoteEngineError": "sg.domain.errors",
    "SgError": "sg.domain.errors",
    "SqlSyntaxError": "sg.domain.errors",
    "TableNotFoundError": "sg.domain.errors",
    "TableNotTrackedError": "sg.domain.errors",
    "TrackingBrokenError": "sg.domain.errors",
    "TransactionConflictError": "sg.domain.errors",
    "TransportUnavailableError": "sg.domain.errors",
    "UndefinedObjectError": "sg.domain.errors",
    "UntrustedObjectError": "sg.domain.errors",
    "Change": "sg.domain.model",
    "CompactedLog": "sg.domain.capture",
    "ChangeKind": "sg.domain.model",
    "ResultShape": "sg.domain.model",
    "ObjectId": "sg.domain.object_id",
    "VersionedSchema": "sg.app.facades.versioned_schema",
    "AmbiguousVersionError": "sg.domain.errors",
    "NotVersionedError": "sg.domain.errors",
    "PendingChangesError": "sg.domain.errors",
    "VersionNotFoundError": "sg.domain.errors",
    "TableDiff": "sg.domain.versions",
    "TableVersion": "sg.domain.versions",
    "Tag": "sg.domain.versions",
    "Version": "sg.domain.versions",
    "VersionId": "sg.domain.versions",
}

__all__ = [
    "AmbiguousVersionError",
    "AuditTriggerChangeEngine",
    "Change",
    "ChangeKind",
    "CompactedLog",
    "ConfigurationError",
    "Container",
    "CorruptDumpError",
    "DataValueError",
    "DatabaseError",
    "DuplicateObjectError",
    "EngineConnectionError",
    "EngineNotInitializedError",
    "FileAccessError",
    "IntegrityViolationError",
    "InvalidIdentifierError",
    "InvalidObjectIdError",
    "InvalidStreamError",
    "NotVersionedError",
    "ObjectId",
    "ObjectIdMismatchError",
    "ObjectNotFoundError",
    "ObjectSchemaMismatchError",
    "PendingChangesError",
    "PermissionDeniedError",
    "PostgresEngine",
    "PsycopgEngine",
    "QueryCanceledError",
    "RemoteEngineError",
    "ResultShape",
    "SgError",
    "SqlSyntaxError",
    "TableDiff",
    "TableNotFoundError",
    "TableNotTrackedError",
    "TableVersion",
    "Tag",
    "TrackingBrokenError",
    "TransactionConflictError",
    "TransportUnavailableError",
    "UndefinedObjectError",
    "UntrustedObjectError",
    "Version",
    "VersionId",
    "VersionNotFoundError",
    "VersionedSchema",
    "container",
    "make_conn",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sg' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
