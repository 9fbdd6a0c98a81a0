"""``kizuki …``: each command parses its options, makes one or two calls on the core object
(:class:`kizuki.Kizuki`), and prints what it returns.

One module per command group (:mod:`~kizuki.cli.data`, :mod:`~kizuki.cli.analysis`,
:mod:`~kizuki.cli.output`, :mod:`~kizuki.cli.intents`, :mod:`~kizuki.cli.batches`); the
options they share are in :mod:`~kizuki.cli.options`. Every
:class:`~kizuki.errors.KizukiError` a command meets becomes one line on stderr and exit code 1,
in one place (:class:`KizukiGroup`); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from kizuki.cli import (
    alive,
    analysis,
    batches,
    churn,
    data,
    inspect_cmd,
    intents,
    output,
    outreach,
    search,
    staffing,
    voice,
)
from kizuki.cli.options import err, state
from kizuki.errors import KizukiError

__all__ = ["app", "main"]


class KizukiGroup(TyperGroup):
    """The root command: runs the subcommand and turns a Kizuki error into one line on stderr
    (``error: <message>``) and exit code 1; with ``--debug`` the error propagates."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KizukiError as exc:
            if state.debug:
                raise
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    name="kizuki",
    cls=KizukiGroup,
    help="Kizuki (気づき): find silent customers in your support and analytics data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Settings file (default: $KIZUKI_CONFIG, else ./kizuki.toml if present; "
            "see `kizuki settings`).",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.debug = debug
    state.config = config


for module in (
    data,
    batches,
    analysis,
    output,
    inspect_cmd,
    staffing,
    voice,
    outreach,
    churn,
    alive,
):
    module.register(app)
app.add_typer(intents.app, name="intents")
app.add_typer(search.app, name="search")


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return app(args=argv)
