"""Commands that show results: ``report``, ``export`` and ``demo`` (which makes all of it)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kizuki.cli.options import (
    CompanyConfigOpt,
    LangOpt,
    StoreOpt,
    open_kizuki,
    out,
    rich_progress,
    settings,
)

__all__ = ["register"]

export_app = typer.Typer(help="Export result tables as files.", no_args_is_help=True)


class ExportFormat(StrEnum):
    """File formats of ``kizuki export``."""

    csv = "csv"
    json = "json"


def report(
    store: StoreOpt = None,
    lang: LangOpt = None,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "report.html"
    ),
) -> None:
    """Write the self-contained HTML report (works offline)."""
    kz = open_kizuki(store, flags={"lang": lang})
    path = kz.report(out_file)
    out.print(f"report: {path.resolve()}")


def export_friction(
    out_file: Annotated[Path, typer.Option("--out", help="File to write.")],
    store: StoreOpt = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="File format: csv or json.")
    ] = ExportFormat.csv,
) -> None:
    """Write the ranked friction-point table (run `kizuki analyze` first)."""
    kz = open_kizuki(store)
    path, rows = kz.export_friction(out_file, fmt.value)
    out.print(f"wrote {rows} friction points to {path}")


def export_selfservice(
    out_file: Annotated[Path, typer.Option("--out", help="File to write.")],
    store: StoreOpt = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="File format: csv or json.")
    ] = ExportFormat.csv,
) -> None:
    """Write self-resolution per intent and channel with the channel-fit recommendation:
    intent, channel, attempts, successes, success_rate, ci_low, ci_high, recommendation
    (digital_first, improve_content, human); channel self_service is all digital channels
    together (run `kizuki analyze` first)."""
    kz = open_kizuki(store)
    path, rows = kz.export_selfservice(out_file, fmt.value)
    out.print(f"wrote {rows} intent and channel rows to {path}")


def export_kpis(
    out_file: Annotated[Path, typer.Option("--out", help="File to write.")],
    store: StoreOpt = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="File format: csv or json.")
    ] = ExportFormat.csv,
) -> None:
    """Write the support KPIs, one row per metric and slice: metric, channel, intent, segment,
    agent, week, value, ci_low, ci_high, n. The row of a metric with every slice empty is the
    whole period for all customers; metric names as in docs/metrics.md (run `kizuki analyze`
    first)."""
    kz = open_kizuki(store)
    path, rows = kz.export_kpis(out_file, fmt.value)
    out.print(f"wrote {rows} KPI rows to {path}")


def demo(
    config: CompanyConfigOpt = None,
    customers: Annotated[int | None, typer.Option(help="Number of customers.")] = None,
    days: Annotated[int | None, typer.Option(help="Days of history.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Where to write everything (default: the `demo_dir` setting).",
            show_default=False,
        ),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Simulate the demo company, ingest it, analyze it and write the report (safe to re-run)."""
    from kizuki.demo import run_demo

    resolved = settings(flags={"lang": lang, "demo_dir": directory})
    with rich_progress() as progress:
        result = run_demo(
            resolved.demo_dir,
            config=config,
            customers=customers,
            days=days,
            seed=seed,
            settings=resolved,
            progress=progress,
        )
    out.print(result.summary())
    out.print(f"report: {result.report_path.resolve()}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command()(report)
    export_app.command("friction")(export_friction)
    export_app.command("selfservice")(export_selfservice)
    export_app.command("kpis")(export_kpis)
    app.add_typer(export_app, name="export")
    app.command()(demo)
