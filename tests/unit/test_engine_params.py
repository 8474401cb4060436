"""Parsing SG_ENGINE_* parameters."""

from __future__ import annotations

import pytest

from sg import ConfigurationError, PsycopgEngine
from sg.domain.engine_params import EngineParams

BASE = {
    "SG_ENGINE_HOST": "localhost",
    "SG_ENGINE_PORT": "5433",
    "SG_ENGINE_USER": "me",
    "SG_ENGINE_PWD": "topsecret-value",
    "SG_ENGINE_DB_NAME": "data",
}


def test_defaults_and_optional_keys() -> None:
    params = EngineParams.from_mapping(BASE)
    assert (params.port, params.admin_dbname, params.admin_user, params.fdw_host) == (
        5433,
        "postgres",
        None,
        None,
    )
    full = EngineParams.from_mapping(
        {
            **BASE,
            "SG_ENGINE_ADMIN_USER": "root",
            "SG_ENGINE_FDW_HOST": "db",
            "SG_ENGINE_FDW_PORT": 6000,
            "SG_ENGINE_POSTGRES_DB_NAME": "admin",
        }
    )
    assert (full.admin_user, full.fdw_host, full.fdw_port, full.admin_dbname) == (
        "root",
        "db",
        6000,
        "admin",
    )
    assert EngineParams.from_mapping(full.to_mapping()) == full


def test_unix_socket_host() -> None:
    assert EngineParams.from_mapping({**BASE, "SG_ENGINE_HOST": "/run/pg"}).is_unix_socket


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SG_ENGINE_PORT": "abc"}, "SG_ENGINE_PORT must be a port number"),
        ({"SG_ENGINE_PORT": "70000"}, "between 1 and 65535"),
        ({"SG_ENGINE_HOST": ""}, "missing engine parameter.*SG_ENGINE_HOST"),
        ({"SG_ENGINE_TYPO": "x"}, "unknown engine parameter.*SG_ENGINE_TYPO"),
    ],
)
def test_bad_parameters_are_configuration_errors(change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        EngineParams.from_mapping({**BASE, **change})


def test_password_never_in_repr() -> None:
    params = EngineParams.from_mapping({**BASE, "SG_ENGINE_ADMIN_PWD": "admin-secret-value"})
    engine = PsycopgEngine(BASE, "e")
    for text in (repr(params), str(params), repr(engine), params.describe()):
        assert "topsecret-value" not in text
        assert "admin-secret-value" not in text
