"""Which engine a command talks to: `SG_ENGINE_*` variables, a named remote, or an embedded one.

The config file (`SG_CONFIG`, else `config.toml` in the user's config directory) names
remotes, each a table of `SG_ENGINE_*` keys:

    [remotes.warehouse]
    SG_ENGINE_HOST = "db.internal"
    SG_ENGINE_PORT = 5432
    SG_ENGINE_USER = "sg"
    SG_ENGINE_PWD = "..."
    SG_ENGINE_DB_NAME = "sg"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from sg.app.cli.embedded import DEFAULT_ENGINE, EmbeddedEngines
from sg.domain.engine_params import ENGINE_KEYS
from sg.domain.errors import ConfigurationError


def config_path() -> Path:
    """The config file's path (it need not exist)."""
    configured = os.environ.get("SG_CONFIG")
    if configured:
        return Path(configured)
    return Path(platformdirs.user_config_dir("sg")) / "config.toml"


def load_remotes(path: Path | None = None) -> dict[str, dict[str, str]]:
    """Named remotes from the config file; `{}` when there is no file."""
    if path is None:
        path = config_path()
        if os.environ.get("SG_CONFIG") and not path.is_file():
            raise ConfigurationError(
                f"SG_CONFIG names {path}, which is not a file; create it or unset SG_CONFIG"
            )
    if not path.is_file():
        return {}
    try:
        document = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}") from None
    remotes = document.get("remotes", {})
    if not isinstance(remotes, dict):
        raise ConfigurationError(f"{path}: [remotes] must be a table of tables")
    return {name: _remote(path, name, value) for name, value in remotes.items()}


def _remote(path: Path, name: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: remotes.{name} must be a table of SG_ENGINE_* keys")
    return {str(k): str(v) for k, v in value.items()}


@dataclass(frozen=True)
class EngineChoice:
    """The engine a command will use: a label for messages and its connection parameters."""

    label: str
    params: dict[str, str] = field(repr=False)  # holds the password
    embedded: bool = False


def environment_params(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """`SG_ENGINE_*` from the environment, or None when `SG_ENGINE_HOST` is not set."""
    env = os.environ if environ is None else environ
    if not env.get("SG_ENGINE_HOST"):
        return None
    return {key: env[key] for key in ENGINE_KEYS if env.get(key)}


def choose_engine(
    name: str | None,
    engines: EmbeddedEngines | None = None,
    on_start: Callable[[str], None] | None = None,
) -> EngineChoice:
    """Resolve `--engine NAME` (a remote, else an embedded engine), or the default engine.

    An embedded engine that is not running is started; `on_start(name)` is told first.
    """
    if name is None:
        params = environment_params()
        if params is not None:
            return EngineChoice("SG_ENGINE_*", params, embedded=False)
        name = DEFAULT_ENGINE
    remotes = load_remotes()
    if name in remotes:
        return EngineChoice(name, remotes[name], embedded=False)
    embedded = engines or EmbeddedEngines()
    if name != DEFAULT_ENGINE and name not in embedded.names():
        known = sorted({*remotes, *embedded.names()}) or ["none yet"]
        raise ConfigurationError(
            f"no remote or embedded engine named {name!r} (known: {', '.join(known)}); "
            f"create an embedded one with `sg engine start {name}`"
        )
    return EngineChoice(name, embedded.ensure_running(name, on_start), embedded=True)
