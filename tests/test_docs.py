"""README and CI stay true: the two commands at the top, every command documented."""

import re
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli

REPO = Path(__file__).parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _top_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README, re.S)[:2]


def test_readme_opens_with_the_two_commands():
    setup_and_run, setup_and_test = _top_commands()
    assert "pip install ." in setup_and_run and "coproduce" in setup_and_run
    assert "pip install '.[test]'" in setup_and_test and "pytest" in setup_and_test
    assert README.index(setup_and_test) < README.index("## Usage")


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _top_commands()[1] in ci.splitlines()


def test_every_command_is_documented():
    for name, command in cli.commands.items():
        assert f"coproduce {name}" in README, f"README does not mention `coproduce {name}`"
        assert "Example:" in (command.help or ""), f"`coproduce {name} --help` has no example"


def test_every_command_has_help():
    runner = CliRunner()
    for name in cli.commands:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Usage: " in result.output
