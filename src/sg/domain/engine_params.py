"""Connection parameters of one engine, parsed from the `SG_ENGINE_*` mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sg.domain.errors import ConfigurationError

ENGINE_KEYS = (
    "SG_ENGINE_HOST",
    "SG_ENGINE_PORT",
    "SG_ENGINE_USER",
    "SG_ENGINE_PWD",
    "SG_ENGINE_DB_NAME",
    "SG_ENGINE_ADMIN_USER",
    "SG_ENGINE_ADMIN_PWD",
    "SG_ENGINE_POSTGRES_DB_NAME",
    "SG_ENGINE_FDW_HOST",
    "SG_ENGINE_FDW_PORT",
)
_REQUIRED = ("SG_ENGINE_HOST", "SG_ENGINE_PORT", "SG_ENGINE_USER", "SG_ENGINE_DB_NAME")


@dataclass(frozen=True)
class EngineParams:
    """Where an engine's server is and how to log in; passwords never appear in `repr`."""

    host: str
    port: int
    user: str
    dbname: str
    password: str | None = field(default=None, repr=False)
    admin_user: str | None = None
    admin_password: str | None = field(default=None, repr=False)
    admin_dbname: str = "postgres"
    fdw_host: str | None = None
    fdw_port: int | None = None

    @classmethod
    def from_mapping(cls, conn_params: Mapping[str, object]) -> EngineParams:
        """Parse the `SG_ENGINE_*` keys; raise `ConfigurationError` naming what is wrong."""
        unknown = sorted(k for k in conn_params if k not in ENGINE_KEYS)
        if unknown:
            raise ConfigurationError(f"unknown engine parameter(s): {', '.join(unknown)}")
        missing = [k for k in _REQUIRED if not _text(conn_params, k)]
        if missing:
            raise ConfigurationError(f"missing engine parameter(s): {', '.join(missing)}")
        return cls(
            host=_text(conn_params, "SG_ENGINE_HOST") or "",
            port=_port(conn_params, "SG_ENGINE_PORT") or 0,
            user=_text(conn_params, "SG_ENGINE_USER") or "",
            dbname=_text(conn_params, "SG_ENGINE_DB_NAME") or "",
            password=_text(conn_params, "SG_ENGINE_PWD"),
            admin_user=_text(conn_params, "SG_ENGINE_ADMIN_USER"),
            admin_password=_text(conn_params, "SG_ENGINE_ADMIN_PWD"),
            admin_dbname=_text(conn_params, "SG_ENGINE_POSTGRES_DB_NAME") or "postgres",
            fdw_host=_text(conn_params, "SG_ENGINE_FDW_HOST"),
            fdw_port=_port(conn_params, "SG_ENGINE_FDW_PORT"),
        )

    def to_mapping(self) -> dict[str, str]:
        """The `SG_ENGINE_*` mapping these parameters were (or could have been) parsed from."""
        values: dict[str, object | None] = {
            "SG_ENGINE_HOST": self.host,
            "SG_ENGINE_PORT": self.port,
            "SG_ENGINE_USER": self.user,
            "SG_ENGINE_PWD": self.password,
            "SG_ENGINE_DB_NAME": self.dbname,
            "SG_ENGINE_ADMIN_USER": self.admin_user,
            "SG_ENGINE_ADMIN_PWD": self.admin_password,
            "SG_ENGINE_POSTGRES_DB_NAME": self.admin_dbname,
            "SG_ENGINE_FDW_HOST": self.fdw_host,
            "SG_ENGINE_FDW_PORT": self.fdw_port,
        }
        return {k: str(v) for k, v in values.items() if v is not None}

    @property
    def is_unix_socket(self) -> bool:
        """True when `host` is a unix-socket directory rather than a network host."""
        return self.host.startswith("/")

    def describe(self) -> str:
        """A password-free `user@host:port/db` label for messages."""
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


def _text(conn_params: Mapping[str, object], key: str) -> str | None:
    value = conn_params.get(key)
    if value is None or value == "":
        return None
    return str(value)


def _port(conn_params: Mapping[str, object], key: str) -> int | None:
    text = _text(conn_params, key)
    if text is None:
        return None
    try:
        port = int(text)
    except ValueError:
        raise ConfigurationError(f"{key} must be a port number, got {text!r}") from None
    if not 0 < port < 65536:
        raise ConfigurationError(f"{key} must be between 1 and 65535, got {port}")
    return port
