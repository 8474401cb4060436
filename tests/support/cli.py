"""The command line as the CLI tests drive it: `sg ARGS` run in-process with an environment."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from sg.app.cli import app


class CliWorld:
    """Two initialized engines reachable as remotes `a` and `b`; `a` is the default engine."""

    def __init__(self, runner: CliRunner, env: dict[str, str]) -> None:
        self.runner = runner
        self.env = env

    def sg(self, *args: str, code: int = 0) -> Result:
        """Run `sg ARGS` in-process and check its exit code."""
        result = self.runner.invoke(app, list(args), env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result
