"""``kizuki inspect``: what ingest would see in files, before anything is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kizuki.cli.options import JsonOpt, open_kizuki, out

if TYPE_CHECKING:
    from kizuki.ingest.inspect import Inspection

__all__ = ["print_inspections", "register"]


def inspect(
    source: Annotated[str, typer.Argument(help="Format: ga4, zendesk, or csv/tsv/parquet/jsonl.")],
    files: Annotated[list[Path], typer.Argument(help="Files to inspect.", exists=False)],
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
    timezone: Annotated[
        str | None,
        typer.Option(
            help="Time zone of times written without a UTC offset, e.g. Asia/Tokyo (default: "
            "the `timezone` setting; Asia/Tokyo when lang is ja, else UTC)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show what ingest would read from files (rows, fields, quarantine reasons, the first rows
    as they would be stored); writes nothing."""
    kz = open_kizuki("duckdb://")  # an in-memory store: inspecting reads the files only
    found = kz.inspect(
        source, files, table=table, mapping=mapping, encoding=encoding, timezone=timezone
    )
    print_inspections(found, as_json=as_json)


def print_inspections(found: list[Inspection], *, as_json: bool = False) -> None:
    """Print inspections as JSON, or one readable block per file."""
    if as_json:
        out.print_json(json.dumps([i.to_dict() for i in found], ensure_ascii=False, default=str))
        return
    for i in found:
        out.print(
            f"[bold]{i.file}[/bold] ({i.source} → {i.target}): {i.rows:,} rows, "
            f"{i.rows_valid:,} valid, {i.rows_quarantined:,} would be quarantined",
            highlight=False,
        )
        for reason, n in i.reasons.items():
            out.print(f"  quarantine: {reason} ({n:,})", highlight=False)
        zone = f"  times without a UTC offset are read as {i.timezone}"
        if i.naive_times:
            out.print(
                f"{zone}: [yellow]{i.naive_times:,} such times[/yellow] (--timezone to change)",
                highlight=False,
            )
        else:
            out.print(f"{zone} (the file has none)", highlight=False)
        for column in i.generated:
            out.print(
                f"  {column} generated from the row's content (the file has no {column} column)",
                highlight=False,
            )
        if i.fields:
            fields = Table("field", "type", "becomes")
            for name, kind in i.fields.items():
                fields.add_row(name, kind, i.recognised.get(name, "(not recognised)"))
            out.print(fields)
        if i.ignored:
            out.print(f"  ignored: {', '.join(i.ignored)}", highlight=False)
        for key, value in i.details.items():
            text = json.dumps(value, ensure_ascii=False, default=str)
            out.print(f"  {key}: {text}", highlight=False, soft_wrap=True)
        if i.preview:
            out.print(_preview_table(i))


def _preview_table(i: Inspection) -> Table:
    """The first rows as they would be stored: the columns any of them fills, and reasons."""
    shown = [c for c in i.preview[0] if c not in ("row", "reason")]
    for row in i.preview[1:]:
        shown += [c for c in row if c not in ("row", "reason") and c not in shown]
    filled = [c for c in shown if any(row.get(c) is not None for row in i.preview)]
    quarantined = any(row.get("reason") for row in i.preview)
    table = Table(
        "row",
        *filled,
        *(["quarantine reason"] if quarantined else []),
        title=f"first rows as they would be stored (times in {i.timezone})",
        title_justify="left",
    )
    for row in i.preview:
        cells = [str(row["row"]), *("" if row.get(c) is None else str(row[c]) for c in filled)]
        table.add_row(*cells, *([row.get("reason") or ""] if quarantined else []))
    return table


def register(app: typer.Typer) -> None:
    """Add this module's command to ``app``."""
    app.command()(inspect)
