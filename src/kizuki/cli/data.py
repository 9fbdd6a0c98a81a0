"""Commands that make and fill a store: ``init``, ``simulate``, ``ingest``, ``redact``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kizuki.cli.options import CompanyConfigOpt, StoreOpt, err, open_kizuki, out, rich_progress

__all__ = ["register"]


class GA4Format(StrEnum):
    """File formats of a GA4 BigQuery export."""

    parquet = "parquet"
    jsonl = "jsonl"


def init(store: StoreOpt = None) -> None:
    """Create (or migrate) a store with the canonical tables."""
    kz = open_kizuki(store)
    out.print(f"store {kz.url} at schema version {kz.schema_version()}")


def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the files to.")],
    config: CompanyConfigOpt = None,
    customers: Annotated[int | None, typer.Option(help="Number of customers.")] = None,
    days: Annotated[int | None, typer.Option(help="Days of history.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same bytes).")] = None,
    ga4_format: Annotated[
        GA4Format, typer.Option(help="GA4 export file format: parquet or jsonl (NDJSON).")
    ] = GA4Format.parquet,
) -> None:
    """Simulate the demo company: canonical files, GA4 and Zendesk exports, and ground truth."""
    from kizuki.simulate import load_config, simulate_company

    cfg = load_config(config, customers=customers, days=days, seed=seed)
    with rich_progress() as progress:
        result = simulate_company(cfg, out_dir, progress=progress, ga4_format=ga4_format.value)
    out.print(result.summary())


def ingest(
    source: Annotated[str, typer.Argument(help="Format: ga4, zendesk, or csv/tsv/parquet/jsonl.")],
    files: Annotated[list[Path], typer.Argument(help="Files to ingest.", exists=False)],
    store: StoreOpt = None,
    table: Annotated[
        str | None,
        typer.Option(help="Canonical table for csv/tsv/parquet/jsonl (default: file name)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="Column mapping: a YAML file of {canonical: source column} (an entry may map "
            "values: {column: チャネル, values: {メール: email}, other: other}), a shipped "
            "mapping (ja-helpdesk-tickets, ja-web-events, fivetran-zendesk-ticket, "
            "fivetran-zendesk-ticket-comment, fivetran-zendesk-user) or key=value (zendesk: "
            "intent_field=<custom field id>)."
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding of csv/tsv (default: detect UTF-8/CP932).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be read (as `kizuki inspect`).")
    ] = False,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Time zone of times written without a UTC offset, e.g. Asia/Tokyo (default: "
            "the `timezone` setting; Asia/Tokyo when lang is ja, else UTC)."
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace what earlier ingests of the same file loaded (e.g. after fixing the "
            "mapping or the file); see `kizuki batches`.",
        ),
    ] = False,
) -> None:
    """Validate, redact, deduplicate and load files; bad rows go to quarantine.

    Exits with code 1 when every row of a file was quarantined (the other files are still
    loaded), after printing the first reasons.
    """
    if dry_run:  # what `kizuki inspect` shows; the store is not opened
        from kizuki.cli.inspect_cmd import print_inspections

        kz = open_kizuki("duckdb://")
        found = kz.inspect(
            source, files, table=table, mapping=mapping, encoding=encoding, timezone=timezone
        )
        print_inspections(found)
        return
    kz = open_kizuki(store)
    with rich_progress() as progress:
        results = kz.ingest(
            source,
            files,
            table=table,
            mapping=mapping,
            encoding=encoding,
            timezone=timezone,
            replace=replace,
            progress=progress,
        )
    for r in results:
        out.print(r.summary())
        for warning in r.warnings():
            err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    refused = [r for r in results if r.all_quarantined and not r.skipped]
    for r in refused:
        err.print(
            f"[red]error:[/red] {r.name}: all {r.rows_in:,} rows were quarantined; first reasons:",
            highlight=False,
            soft_wrap=True,
        )
        for reason in r.first_reasons:
            err.print(f"  - {reason}", highlight=False, soft_wrap=True)
    if any(r.replaced_batches for r in results):
        from kizuki.cli.batches import print_stale

        print_stale(kz)
    if refused:
        raise typer.Exit(1)


def redact() -> None:
    """Redact personal data from each line of standard input (check the redactor on your text)."""
    from kizuki.ingest.redact import redact_text

    for line in sys.stdin:
        sys.stdout.write(redact_text(line.rstrip("\n")) + "\n")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    for command in (init, simulate, ingest, redact):
        app.command()(command)
