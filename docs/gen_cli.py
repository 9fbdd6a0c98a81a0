"""Regenerate docs/cli.md from the CLI's own --help: `python docs/gen_cli.py`."""

from __future__ import annotations

import os
import re
from pathlib import Path

from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.settings import Settings

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def render() -> str:
    """The CLI reference as Markdown."""
    os.environ["COLUMNS"] = "100"
    runner = CliRunner()
    parts = ["# CLI reference", "", "Generated from `--help` by `python docs/gen_cli.py`.", ""]
    top = runner.invoke(app, ["--help"], terminal_width=100)
    parts += ["## `kizuki`", "", "```", ANSI.sub("", top.output).rstrip(), "```", ""]
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        res = runner.invoke(app, [name, "--help"], terminal_width=100)
        parts += [f"## `kizuki {name}`", "", "```", ANSI.sub("", res.output).rstrip(), "```", ""]
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands if group.typer_instance else []:
            sub = command.name or (command.callback.__name__ if command.callback else "")
            res = runner.invoke(app, [str(group.name), sub, "--help"], terminal_width=100)
            text = ANSI.sub("", res.output).rstrip()
            parts += [f"## `kizuki {group.name} {sub}`", "", "```", text, "```", ""]
    parts += [
        "## Settings",
        "",
        "Defaults, then `kizuki.toml`, then `KIZUKI_*` variables, then flags.",
        "",
    ]
    parts += ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        env = f"KIZUKI_{name.upper()}"
        parts.append(f"| `{name}` | `{env}` | `{field.default}` | {field.description} |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("cli.md").write_text(render(), encoding="utf-8")
