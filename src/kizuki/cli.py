"""``kizuki …``: each command parses its options, makes one or two library calls, and prints."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

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

from kizuki.errors import KizukiError
from kizuki.progress import ProgressCallback

app = typer.Typer(
    name="kizuki",
    help="Kizuki (気づき): find silent customers in your support and analytics data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()
_state: dict[str, bool] = {"debug": False}

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store", envvar="KIZUKI_STORE", help="Store URL: duckdb://path.duckdb, spark://local[2]."
    ),
]
DEFAULT_STORE = "duckdb://kizuki.duckdb"
JourneyOpt = Annotated[
    str,
    typer.Option("--journey", help="Journey map: a YAML file, or a shipped map: default or demo."),
]
T = TypeVar("T")

journey_app = typer.Typer(help="Check the journey map against the store.", no_args_is_help=True)
export_app = typer.Typer(help="Export result tables as files.", no_args_is_help=True)
app.add_typer(journey_app, name="journey")
app.add_typer(export_app, name="export")


class ExportFormat(StrEnum):
    """File formats of ``kizuki export``."""

    csv = "csv"
    json = "json"


def _load_journey(journey: str) -> Any:
    """A shipped journey map by name (``default``, ``demo``), else the YAML file ``journey``."""
    from kizuki.journey import JOURNEY_NAMES, load_journey

    if journey in JOURNEY_NAMES:
        return _run(lambda: load_journey(name=journey))
    return _run(lambda: load_journey(journey))


class GA4Format(StrEnum):
    """File formats of a GA4 BigQuery export."""

    parquet = "parquet"
    jsonl = "jsonl"


@contextmanager
def rich_progress() -> Iterator[ProgressCallback]:
    """A progress callback that draws one Rich bar per step."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal and not _state.get("force_progress", False),
    ) as bar:

        def callback(step: str, completed: float, total: float | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=completed, total=total)

        yield callback


def _run(fn: Callable[[], T]) -> T:
    """Run a library call; turn Kizuki errors into one line on stderr and exit code 1."""
    try:
        return fn()
    except KizukiError as exc:
        if _state["debug"]:
            raise
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def init(store: StoreOpt = DEFAULT_STORE) -> None:
    """Create (or migrate) a store with the canonical tables."""
    import kizuki

    kz = _run(lambda: kizuki.open(store))
    out.print(f"store {store} at schema version {kz.store.schema_version()}")


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the files to.")],
    config: Annotated[
        Path | None, typer.Option("--config", help="Company config YAML (default: built in).")
    ] = None,
    customers: Annotated[int | None, typer.Option(help="Number of customers.")] = None,
    days: Annotated[int | None, typer.Option(help="Days of history.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same bytes).")] = None,
    ga4_format: Annotated[
        GA4Format, typer.Option(help="GA4 export file format: parquet or jsonl (NDJSON).")
    ] = GA4Format.parquet,
) -> None:
    """Simulate the demo company: canonical files, GA4 and Zendesk exports, and ground truth."""
    from kizuki.simulate import load_config, simulate_company

    cfg = _run(lambda: load_config(config, customers=customers, days=days, seed=seed))
    with rich_progress() as progress:
        result = _run(
            lambda: simulate_company(cfg, out_dir, progress=progress, ga4_format=ga4_format.value)
        )
    out.print(result.summary())


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="Format: ga4, zendesk, or csv/tsv/parquet/jsonl.")],
    files: Annotated[list[Path], typer.Argument(help="Files to ingest.", exists=False)],
    store: StoreOpt = DEFAULT_STORE,
    table: Annotated[
        str | None,
        typer.Option(help="Canonical table for csv/tsv/parquet/jsonl (default: file name)."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="YAML column mapping {canonical: source column}.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding of csv/tsv (default: detect UTF-8/CP932).")
    ] = None,
) -> None:
    """Validate, redact, deduplicate and load files; bad rows go to quarantine."""
    import kizuki

    kz = _run(lambda: kizuki.open(store))
    with rich_progress() as progress:
        results = _run(
            lambda: kz.ingest(
                source, files, table=table, mapping=mapping, encoding=encoding, progress=progress
            )
        )
    for r in results:
        out.print(r.summary())


@app.command()
def redact() -> None:
    """Redact personal data from each line of standard input (check the redactor on your text)."""
    from kizuki.ingest.redact import redact_text

    for line in sys.stdin:
        sys.stdout.write(redact_text(line.rstrip("\n")) + "\n")


@app.command()
def analyze(
    store: StoreOpt = DEFAULT_STORE,
    journey: JourneyOpt = "default",
    intent_model: Annotated[
        Path | None,
        typer.Option(
            "--intent-model",
            help="Intent model from `kizuki intents train` (default: trained on the store's "
            "labelled contacts).",
        ),
    ] = None,
    contact_reasons: Annotated[
        bool,
        typer.Option(
            "--contact-reasons/--no-contact-reasons",
            help="Classify contacts and help searches by intent and look for new and rising "
            "topics. --no-contact-reasons is faster; the tables of an earlier run stay.",
        ),
    ] = True,
) -> None:
    """Compute every analysis and write the result tables into the store."""
    import kizuki

    journey_map = _load_journey(journey)
    kz = _run(lambda: kizuki.open(store))
    with rich_progress() as progress:
        written = _run(
            lambda: kz.analyze(
                journey=journey_map,
                intent_model=intent_model,
                contact_reasons=contact_reasons,
                progress=progress,
            )
        )
    out.print(f"wrote {len(written)} result tables: {', '.join(written)}")


@journey_app.command("check")
def journey_check(store: StoreOpt = DEFAULT_STORE, journey: JourneyOpt = "default") -> None:
    """List the pages and events of the store that no stage of the journey map matches."""
    from rich.table import Table

    import kizuki
    from kizuki.journey import unmatched_pages

    journey_map = _load_journey(journey)
    kz = _run(lambda: kizuki.open(store))
    unmatched = _run(lambda: unmatched_pages(kz.store, journey_map))
    if unmatched.empty:
        out.print(f"journey map {journey}: every page and event of the store is matched")
        return
    table = Table(title=f"unmatched by journey map {journey}")
    for column in ("kind", "name", "events", "visitors"):
        table.add_column(column, justify="right" if column in ("events", "visitors") else "left")
    for row in unmatched.itertuples(index=False):
        table.add_row(str(row.kind), str(row.name), f"{row.events:,}", f"{row.visitors:,}")
    out.print(table)
    out.print(f"{len(unmatched)} unmatched pages/events")


@export_app.command("friction")
def export_friction(
    out_file: Annotated[Path, typer.Option("--out", help="File to write.")],
    store: StoreOpt = DEFAULT_STORE,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="File format: csv or json.")
    ] = ExportFormat.csv,
) -> None:
    """Write the ranked friction-point table (run `kizuki analyze` first)."""
    import kizuki
    from kizuki.analytics.export import write_export

    kz = _run(lambda: kizuki.open(store))
    table = _run(kz.friction_export)
    path = _run(lambda: write_export(table, out_file, fmt.value))
    out.print(f"wrote {len(table)} friction points to {path}")


@app.command()
def report(
    store: StoreOpt = DEFAULT_STORE,
    lang: Annotated[str, typer.Option(help="Report language: ja or en.")] = "ja",
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "report.html"
    ),
) -> None:
    """Write the self-contained HTML report (works offline)."""
    import kizuki

    kz = _run(lambda: kizuki.open(store))
    path = _run(lambda: kz.report(out_file, lang=lang))
    out.print(f"report: {path.resolve()}")


@app.command()
def demo(
    config: Annotated[
        Path | None, typer.Option("--config", help="Company config YAML (default: built in).")
    ] = None,
    customers: Annotated[int | None, typer.Option(help="Number of customers.")] = None,
    days: Annotated[int | None, typer.Option(help="Days of history.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    directory: Annotated[Path, typer.Option("--dir", help="Where to write everything.")] = Path(
        "demo"
    ),
    lang: Annotated[str, typer.Option(help="Report language: ja or en.")] = "ja",
) -> None:
    """Simulate the demo company, ingest it, analyze it and write the report (safe to re-run)."""
    from kizuki.demo import run_demo

    with rich_progress() as progress:
        result = _run(
            lambda: run_demo(
                directory,
                config=config,
                customers=customers,
                days=days,
                seed=seed,
                lang=lang,
                progress=progress,
            )
        )
    out.print(result.summary())
    out.print(f"report: {result.report_path.resolve()}")


def _add_intents() -> None:
    from kizuki.cli_intents import intents_app  # imports names defined above

    app.add_typer(intents_app, name="intents")


_add_intents()


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return app(args=argv)
