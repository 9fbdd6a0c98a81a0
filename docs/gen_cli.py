"""Regenerate docs/cli.md from the CLI's own --help, and docs/configuration.md from the settings'
declaration: `python docs/gen_cli.py`. Tests fail when either page differs from what this gives."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic.fields import FieldInfo
from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.settings import ENV_PREFIX, NESTED, leaf_settings

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
        "Every command reads its settings from the defaults, then `kizuki.toml`, then `KIZUKI_*`",
        "variables, then its flags; every setting is listed in",
        "[configuration.md](configuration.md) and by `kizuki settings`.",
    ]
    return "\n".join(parts) + "\n"


CONFIG_INTRO = """\
# Configuration

Generated from the settings' declaration (`src/kizuki/settings.py` and the config model of
each analysis) by `python docs/gen_cli.py`; a test checks this page against it and that
every setting is read by the code.

A setting comes from, in order, each overriding the one before:

1. its default (below);
2. the settings file: `--config FILE`, else `$KIZUKI_CONFIG`, else `kizuki.toml` in the
   working directory if there is one;
3. an environment variable: `KIZUKI_` and the key in capitals, nested keys joined by `__`
   (`KIZUKI_ANALYZE__SILENT__WINDOW_DAYS=7`);
4. the command's flags: `--store`, `--lang`, `--journey`, … and, for any key,
   `--set KEY=VALUE` (`kizuki analyze --set analyze.silent.window_days=7`).

```toml
# kizuki.toml
store = "duckdb://data/kizuki.duckdb"
lang = "en"

[analyze]
journey = "my-journey.yaml"

[analyze.silent]
window_days = 7
```

`kizuki settings` prints the values in effect. Every `kizuki analyze` run records the whole
`[analyze]` configuration it used in `result_runs` (`kizuki runs --json`), and the report
states its assumptions from that record.

| key | environment | default | meaning |
|---|---|---|---|
"""


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, tuple):
        value = list(value)
    return "—" if value is None else f"`{value}`"


def render_configuration() -> str:
    """The configuration page as Markdown."""
    rows = []
    for path, field in leaf_settings():
        env = ENV_PREFIX + NESTED.join(part.upper() for part in path)
        key = ".".join(path)
        rows.append(f"| `{key}` | `{env}` | {_default(field)} | {field.description} |")
    return CONFIG_INTRO + "\n".join(rows) + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("cli.md").write_text(render(), encoding="utf-8")
    Path(__file__).with_name("configuration.md").write_text(
        render_configuration(), encoding="utf-8"
    )
