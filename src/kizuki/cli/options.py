"""What the commands share: the consoles, the common options, the run's state (``--config``,
``--debug``), and how a command turns its flags into :class:`~kizuki.settings.Settings` and
opens the core object."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from kizuki.progress import ProgressCallback

if TYPE_CHECKING:
    from kizuki.core import Kizuki
    from kizuki.settings import Settings

__all__ = [
    "EncodingOpt",
    "JourneyOpt",
    "JsonOpt",
    "LangOpt",
    "SetOpt",
    "StoreOpt",
    "err",
    "open_kizuki",
    "out",
    "rich_progress",
    "settings",
    "state",
]

#: Messages and progress go to stderr; results to stdout.
err = Console(stderr=True)
out = Console()


@dataclass
class State:
    """Options of the ``kizuki`` command itself, for the command that runs under it."""

    debug: bool = False
    config: Path | None = None
    force_progress: bool = False


state = State()

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store URL: duckdb://path.duckdb, spark://local[2] (default: the `store` setting).",
        show_default=False,
    ),
]
JourneyOpt = Annotated[
    str | None,
    typer.Option(
        "--journey",
        help="Journey map: a YAML file, or a shipped map: default or demo (default: the "
        "`analyze.journey` setting).",
        show_default=False,
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Report language: ja or en (default: the `lang` setting)."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a setting for this run, e.g. --set analyze.silent.window_days=7 "
        "(repeatable; every key: `kizuki settings`, docs/configuration.md).",
        show_default=False,
    ),
]
CompanyConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Company config: a YAML file or a shipped name (default, hard: a company as messy "
        "as real data).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
EncodingOpt = Annotated[
    str, typer.Option("--encoding", help="Encoding of the CSV files, e.g. utf-8 or cp932.")
]


def settings(
    *,
    store: str | None = None,
    assignments: list[str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """The settings for this command: defaults, the settings file, ``KIZUKI_*``, ``--set``,
    then the command's own flags (``{"analyze.journey": …}``; None: not given)."""
    from kizuki.settings import load_settings, nested, parse_assignment

    given = dict(parse_assignment(item) for item in assignments or [])
    given |= {
        key: value for key, value in {"store": store, **(flags or {})}.items() if value is not None
    }
    return load_settings(state.config, nested(given))


def open_kizuki(
    store: str | None = None,
    *,
    assignments: list[str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Kizuki:
    """The core object on the command's store, with the command's settings."""
    import kizuki

    return kizuki.open(settings=settings(store=store, assignments=assignments, flags=flags))


@contextmanager
def rich_progress() -> Iterator[ProgressCallback]:
    """A progress callback that draws one Rich bar per step (on a terminal)."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal and not state.force_progress,
    ) as bar:

        def callback(step: str, completed: float, total: float | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=completed, total=total)

        yield callback
