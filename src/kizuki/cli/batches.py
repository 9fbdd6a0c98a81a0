"""Commands that show and correct what was loaded: ``batches list``, ``batches delete`` and
``quarantine``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from kizuki.cli.options import JsonOpt, StoreOpt, open_kizuki, out

if TYPE_CHECKING:
    from kizuki.core import Kizuki

__all__ = ["app", "print_stale", "register"]

app = typer.Typer(
    help="List the ingested batches (one per file) or delete one.", no_args_is_help=True
)

#: characters of a quarantined row's raw text shown in the table
_RAW_SHOWN = 60


def _name(file: str | None) -> str:
    return (file or "").replace("\\", "/").rsplit("/", 1)[-1]


def _time(value: Any) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def print_stale(kz: Kizuki) -> None:
    """Say that the result tables are stale, when there are results and they are."""
    reason = kz.results_stale()
    if reason is not None:
        out.print(f"results are stale until the next `kizuki analyze` ({reason})", highlight=False)


def list_batches(
    store: StoreOpt = None,
    include_removed: Annotated[
        bool, typer.Option("--all", help="Also list the replaced and deleted batches.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the batches of the store, oldest first: one per ingested file, with its counts.

    A batch is current until `kizuki ingest --replace` or `kizuki batches delete` removes it;
    an interrupted one resumes when the same file is ingested again.
    """
    kz = open_kizuki(store)
    batches = kz.batches(include_removed=include_removed)
    if as_json:
        out.print_json(json.dumps(batches, default=str, ensure_ascii=False))
        return
    if not batches:
        out.print(f"no batches in {kz.url}; load files with `kizuki ingest`")
        return
    table = Table(title=f"batches in {kz.url}")
    columns = ["batch", "status", "source", "file", "table", "in", "loaded", "updated"]
    columns += ["duplicate", "quarantined", "time zone", "ingested (UTC)"]
    if include_removed:
        columns += ["removed (UTC)", "removed by"]
    counts = {"in", "loaded", "updated", "duplicate", "quarantined"}
    for column in columns:
        table.add_column(column, justify="right" if column in counts else "left")
    for b in batches:
        row = [
            b["batch_id"],
            b["status"],
            b["source"],
            _name(b["file"]),
            b["target_table"],
            *(f"{b[k]:,}" for k in ("rows_in", "rows_loaded", "rows_updated", "rows_duplicate")),
            f"{b['rows_quarantined']:,}",
            b.get("timezone") or "",
            _time(b.get("finished_at") or b.get("last_commit_at")),
        ]
        if include_removed:
            row += [_time(b.get("removed_at")), b.get("removed_by") or ""]
        table.add_row(*row)
    out.print(table)


def delete_batch(
    batch: Annotated[str, typer.Argument(help="The batch id, or enough of its start.")],
    store: StoreOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking.")] = False,
) -> None:
    """Delete a batch: its rows in every table and in the quarantine, in one transaction.

    Its ingest_log row stays, marked removed (`kizuki batches list --all`). Rows of tables
    that keep the newest version of a key (customers, contacts …) go if this batch brought the
    stored version; an older version from another batch does not come back.
    """
    kz = open_kizuki(store)
    found = kz.find_batch(batch)
    what = (
        f"batch {found['batch_id']} ({_name(found['file'])} → {found['target_table']}, "
        f"{found['rows_loaded'] + found['rows_updated']:,} rows loaded or updated, "
        f"{found['rows_quarantined']:,} quarantined)"
    )
    if not yes:
        typer.confirm(f"delete {what}?", abort=True)
    removed = kz.delete_batch(found["batch_id"])
    out.print(f"deleted {what}", highlight=False)
    for table, rows in removed.items():
        out.print(f"  {table}: {rows:,} rows removed", highlight=False)
    print_stale(kz)


def quarantine(
    store: StoreOpt = None,
    batch: Annotated[
        str | None,
        typer.Option("--batch", help="Only this batch (its id or enough of its start)."),
    ] = None,
    reason_like: Annotated[
        str | None,
        typer.Option(
            "--reason-like",
            help="Only reasons containing this text, case-insensitively (a SQL LIKE pattern "
            "when it holds %).",
        ),
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Also write every matching row (batch, file, row, table, reasons, raw) to "
            "this CSV file.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Reason groups to show.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """List the quarantined rows by kind of reason, with counts and examples.

    A row counts under each of its reasons; the examples show all of them. Values and numbers
    are masked in the kind ('…', N), as in the report.
    """
    kz = open_kizuki(store)
    listing = kz.quarantine(batch=batch, reason_like=reason_like)
    if csv_file is not None:
        written = listing.write_csv(csv_file)
        out.print(f"wrote {written:,} quarantined rows to {csv_file}", highlight=False)
    shown = listing.groups[:limit]
    if as_json:
        groups = [
            {"reason_kind": g.reason_kind, "rows": g.rows, "examples": list(g.examples)}
            for g in shown
        ]
        out.print_json(
            json.dumps({"rows": listing.rows, "groups": groups}, default=str, ensure_ascii=False)
        )
        return
    if not listing.groups:
        out.print(f"no quarantined rows in {kz.url}{' match' if batch or reason_like else ''}")
        return
    table = Table(title=f"quarantine of {kz.url}: {listing.rows:,} rows", show_lines=True)
    for column in ("reason", "rows", "example", "reasons of the row", "raw"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for group in shown:
        for i, ex in enumerate(group.examples):
            raw = ex["raw"] or ""
            table.add_row(
                group.reason_kind if i == 0 else "",
                f"{group.rows:,}" if i == 0 else "",
                f"{_name(ex['file'])}:{ex['source_row']}",
                (ex["reason"] or "").replace("; ", "\n"),
                raw if len(raw) <= _RAW_SHOWN else raw[: _RAW_SHOWN - 1] + "…",
            )
    out.print(table)
    if len(listing.groups) > limit:
        out.print(
            f"{len(listing.groups) - limit} more kinds of reason; --limit to show them",
            highlight=False,
        )


def register(root: typer.Typer) -> None:
    """Add this module's commands to ``root``."""
    app.command("list")(list_batches)
    app.command("delete")(delete_batch)
    root.add_typer(app, name="batches")
    root.command()(quarantine)
