"""The README runs: its console and python blocks, executed in order against throwaway engines.

Console blocks run line by line in one bash session (variables carry over) with the real
installed `sg` first on PATH and `SG_DATA_DIR` in a throwaway directory, so `sg` uses
embedded engines that are stopped afterwards. A `$ ` line is a command; the lines under it
are what it prints (stdout and stderr together), where `...` stands for text that differs
from run to run (ports, ids, times) and a line of just `...` for any number of lines.
Python blocks run in one shared namespace, in the environment the console blocks exported
(the library section starts from `eval "$(sg engine env)"`); their `assert`s are the checks.
Other blocks (`sh`, `toml`) are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sg.app.cli.embedded import EmbeddedEngines

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.M | re.S)
PROMPT = "$ "


def readme_blocks(text: str) -> list[tuple[str, str]]:
    """The README's (language, body) code blocks that run, in order."""
    return [(m[1], m[2]) for m in BLOCK.finditer(text) if m[1] in ("console", "python")]


def console_steps(body: str) -> list[tuple[str, list[str]]]:
    """Each `$ command` of a console block with the lines it shows as its output."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith(PROMPT):
            steps.append((line[len(PROMPT) :], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether `actual` lines fit `expected`, with `...` wildcards as described above."""
    pattern = "".join(
        r"(?:[^\n]*\n)*?"
        if line == "..."
        else ".*?".join(map(re.escape, line.split("..."))) + r"\n"
        for line in expected
    )
    return re.fullmatch(pattern, "".join(line + "\n" for line in actual), re.S) is not None


class Shell:
    """One bash process running console commands; output is read up to a unique marker."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self._marker = f"__readme_{uuid.uuid4().hex}__"
        self._bash = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=cwd,
        )

    def run(self, command: str) -> tuple[int, list[str]]:
        """Run `command`; its exit code and its output lines (stderr merged in order)."""
        assert self._bash.stdin is not None and self._bash.stdout is not None
        self._bash.stdin.write(f'{command} 2>&1\necho "{self._marker} $?"\n')
        self._bash.stdin.flush()
        lines: list[str] = []
        for line in self._bash.stdout:
            if line.startswith(self._marker):
                return int(line.split()[1]), lines
            lines.append(line.rstrip("\n"))
        raise AssertionError(f"bash ended while running {command!r}")

    def exported(self, prefix: str) -> dict[str, str]:
        """The shell's exported variables whose names start with `prefix`."""
        code, lines = self.run(f"env | grep '^{prefix}' || true")
        assert code == 0
        return dict(line.split("=", 1) for line in lines)

    def close(self) -> None:
        """End the shell."""
        if self._bash.stdin is not None:
            self._bash.stdin.close()
        self._bash.wait(timeout=30)


@pytest.fixture
def readme_home() -> Iterator[Path]:
    """A throwaway working and data directory; its embedded engines are stopped afterwards."""
    home = Path(tempfile.mkdtemp(prefix="sg-readme-"))
    home.chmod(0o755)  # the embedded server's user must enter it when tests run as root
    try:
        yield home
    finally:
        engines = EmbeddedEngines(home / "data")
        for name in engines.names():
            engines.stop(name)
        shutil.rmtree(home, ignore_errors=True)


def test_readme_blocks_run_in_order(readme_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (readme_home / "config.toml").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SG_")}
    env.update(
        SG_DATA_DIR=str(readme_home / "data"),
        SG_CONFIG=str(readme_home / "config.toml"),
        TZ="UTC",  # new embedded engines take their TimeZone from it; the README shows UTC
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    for key in [k for k in os.environ if k.startswith("SG_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():  # python blocks see what the console blocks see
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(readme_home)
    shell = Shell(env, readme_home)
    namespace: dict[str, Any] = {"__name__": "readme"}
    try:
        blocks = readme_blocks(README.read_text("utf-8"))
        assert [kind for kind, _ in blocks].count("python") >= 4
        for number, (kind, body) in enumerate(blocks, 1):
            if kind == "console":
                for command, expected in console_steps(body):
                    code, output = shell.run(command)
                    assert code == 0, (number, command, output)
                    assert matches(expected, output), (number, command, expected, output)
            else:
                for key, value in shell.exported("SG_").items():
                    monkeypatch.setenv(key, value)
                exec(compile(body, f"README block {number}", "exec"), namespace)  # noqa: S102
    finally:
        for value in namespace.values():
            if hasattr(value, "close") and type(value).__name__.endswith("Engine"):
                value.close()
        shell.close()


@pytest.mark.parametrize(
    ("expected", "actual", "fits"),
    [
        (["a ... c"], ["a b c"], True),
        (["a ... c"], ["a b d"], False),
        (["x", "...", "y"], ["x", "1", "2", "y"], True),
        (["x", "...", "y"], ["x", "y"], True),
        (["x"], ["x", "extra"], False),
        ([], [], True),
    ],
)
def test_output_wildcards(expected: list[str], actual: list[str], fits: bool) -> None:
    assert matches(expected, actual) is fits
