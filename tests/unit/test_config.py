"""Choosing the command line's engine from variables and the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sg import ConfigurationError
from sg.app.cli.config import choose_engine, environment_params, load_remotes
from sg.app.cli.embedded import EmbeddedEngines


def test_remotes_from_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[remotes.warehouse]\nSG_ENGINE_HOST = "db"\nSG_ENGINE_PORT = 5433\n'
        'SG_ENGINE_USER = "me"\nSG_ENGINE_DB_NAME = "sg"\n'
    )
    assert load_remotes(path) == {
        "warehouse": {
            "SG_ENGINE_HOST": "db",
            "SG_ENGINE_PORT": "5433",
            "SG_ENGINE_USER": "me",
            "SG_ENGINE_DB_NAME": "sg",
        }
    }
    assert load_remotes(tmp_path / "missing.toml") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[remotes\n", "not valid TOML"),
        ("remotes = 3\n", "table of tables"),
        ("[remotes]\nx = 1\n", "remotes.x must be a table"),
    ],
)
def test_bad_config_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        load_remotes(path)


def test_environment_params_need_a_host() -> None:
    assert environment_params({"SG_ENGINE_PORT": "1"}) is None
    assert environment_params({"SG_ENGINE_HOST": "h", "SG_ENGINE_PORT": "1", "OTHER": "x"}) == {
        "SG_ENGINE_HOST": "h",
        "SG_ENGINE_PORT": "1",
    }


def test_a_named_remote_wins_over_an_embedded_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[remotes.prod]\nSG_ENGINE_HOST = "db"\n')
    monkeypatch.setenv("SG_CONFIG", str(path))
    choice = choose_engine("prod", EmbeddedEngines(tmp_path / "unused"))
    assert (choice.label, choice.embedded, choice.params) == (
        "prod",
        False,
        {"SG_ENGINE_HOST": "db"},
    )
    assert not (tmp_path / "unused").exists()


def test_engine_names_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="engine name"):
        EmbeddedEngines(tmp_path).directory("../escape")


def test_a_missing_sg_config_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SG_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigurationError, match=r"missing\.toml"):
        load_remotes()
