"""The shell commands of README.md and docs/ name what exists.

The Python blocks run in `test_docs.py`. The shell blocks start servers, need a shell or a
service, or name an id a run printed, so they are checked instead: each `python -m MODULE`,
console script and `orchestrix` command exists, accepts the options the docs give it, each
`orchestrix demo run NAME` names a registered demo, and each `pip install` asks for extras the
package has. A renamed module, command, option or extra fails here.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import click
import pytest

from orchestrix.cli.app import cli
from orchestrix.cli.demos import find_demo
from test.test_docs import DOCUMENTS, ROOT

BIN = Path(sys.executable).parent
SHELL_BLOCK = "```sh\n", "```bash\n"
ENDS_A_COMMAND = {"|", ">", ">>", "&&", ";"}


@dataclass(frozen=True)
class ShellCommand:
    where: str
    words: tuple[str, ...]  # the program and its arguments, as the shell splits them

    @property
    def program(self) -> str:
        return self.words[0]

    @property
    def arguments(self) -> list[str]:
        return list(self.words[1:])


def shell_blocks(text: str) -> list[str]:
    blocks = []
    for opening in SHELL_BLOCK:
        for part in text.split(opening)[1:]:
            blocks.append(part.split("```", 1)[0])
    return blocks


def program_words(line: str) -> tuple[str, ...]:
    """The command a line runs: without `VAR=value` and `uv run` before it, and without the
    pipe or redirection after it."""
    words = shlex.split(line, comments=True)
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]
    if words[:2] == ["uv", "run"]:
        words = words[2:]
    for position, word in enumerate(words):
        if word in ENDS_A_COMMAND:
            return tuple(words[:position])
    return tuple(words)


def ours(words: tuple[str, ...]) -> bool:
    program, *arguments = words or ("",)
    if program in ("python", "python3"):
        return arguments[:1] == ["-m"] and arguments[1].startswith("orchestrix")
    if program == "pip":
        return any(a.startswith("orchestrix") for a in arguments)
    return program == "orchestrix" or program.startswith("orchestrix-")


def shell_commands() -> list[ShellCommand]:
    found = []
    for document in DOCUMENTS:
        number = 0
        for block in shell_blocks(document.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                if "orchestrix" not in line:  # curl, JSON bodies: not ours, maybe not shell
                    continue
                words = program_words(line)
                if ours(words):
                    number += 1
                    found.append(ShellCommand(f"{document.relative_to(ROOT)}#{number}", words))
    return found


COMMANDS = shell_commands()


def options(arguments: list[str]) -> list[str]:
    return [word.split("=", 1)[0] for word in arguments if word.startswith("--") and word != "--"]


@cache
def help_of(*command: str) -> str:
    shown = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, check=False, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def assert_accepts(command: tuple[str, ...], arguments: list[str]) -> None:
    """Each option is one the command's `--help` lists (as a whole word: `--d` is not `--db`)."""
    listed = set(re.findall(r"(?<![\w-])--[\w-]+", help_of(*command)))
    assert [option for option in options(arguments) if option not in listed] == []


def assert_orchestrix_accepts(arguments: list[str]) -> None:
    command: click.Command = cli
    path = []
    while isinstance(command, click.Group) and arguments and arguments[0] in command.commands:
        path.append(arguments[0])
        command, arguments = command.commands[arguments[0]], arguments[1:]
    end = arguments.index("--") if "--" in arguments else len(arguments)
    known = {"--help"} | {name for p in command.params for name in [*p.opts, *p.secondary_opts]}
    assert [option for option in options(arguments[:end]) if option not in known] == []
    if path == ["demo", "run"]:  # `orchestrix demo run NAME -- ITS ARGUMENTS`
        demo = find_demo(arguments[0])
        assert demo is not None, f"no demo named {arguments[0]!r}"
        assert_accepts((sys.executable, "-m", demo.module), arguments[end + 1 :])


def extras_of(distribution: str) -> set[str]:
    for project in (ROOT / "projects").glob("*/pyproject.toml"):
        declared = tomllib.loads(project.read_text())["project"]
        if declared["name"] == distribution:
            return set(declared.get("optional-dependencies", {}))
    raise AssertionError(f"no project builds {distribution}")


@pytest.mark.parametrize("command", COMMANDS, ids=[c.where for c in COMMANDS])
def test_the_command_exists_with_its_options(command: ShellCommand) -> None:
    if command.program.startswith("python"):
        module = command.arguments[1]
        assert find_spec(module) is not None, f"no module {module}"
        assert_accepts((sys.executable, "-m", module), command.arguments[2:])
    elif command.program == "orchestrix":
        assert_orchestrix_accepts(command.arguments)
    elif command.program == "pip":
        for requirement in command.arguments[1:]:
            name, _, extras = requirement.rstrip("]").partition("[")
            wanted = {extra for extra in extras.split(",") if extra}
            assert wanted <= extras_of(name), requirement
    else:
        script = BIN / command.program
        assert script.exists(), f"no console script {command.program}"
        assert_accepts((str(script),), command.arguments)


def test_the_docs_give_commands_of_each_kind() -> None:
    kinds = {c.program.split("-")[0] for c in COMMANDS}
    assert {"python", "orchestrix", "pip"} <= kinds
    assert any(c.program == "orchestrix-lakehouse" for c in COMMANDS)
