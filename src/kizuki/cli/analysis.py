"""Commands that analyse a store and show how: ``analyze``, ``runs``, ``settings``,
``journey check`` and ``journey suggest``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kizuki.cli.options import (
    JourneyOpt,
    JsonOpt,
    SetOpt,
    StoreOpt,
    open_kizuki,
    out,
    rich_progress,
    settings,
)

__all__ = ["register"]

journey_app = typer.Typer(
    help="Suggest a journey map from the store, or check one against it.", no_args_is_help=True
)


def analyze(
    store: StoreOpt = None,
    journey: JourneyOpt = None,
    intent_model: Annotated[
        Path | None,
        typer.Option(
            "--intent-model",
            help="Intent model from `kizuki intents train` (default: trained on the store's "
            "labelled contacts).",
            show_default=False,
        ),
    ] = None,
    contact_reasons: Annotated[
        bool | None,
        typer.Option(
            "--contact-reasons/--no-contact-reasons",
            help="Classify contacts and help searches by intent and look for new and rising "
            "topics (default: on). --no-contact-reasons is faster; the tables of an earlier "
            "run stay.",
            show_default=False,
        ),
    ] = None,
    assignments: SetOpt = None,
) -> None:
    """Compute every analysis and write the result tables into the store.

    The run and the settings it used are recorded (`kizuki runs`).
    """
    flags = {
        "analyze.journey": journey,
        "analyze.intent_model": intent_model,
        "analyze.contact_reasons": contact_reasons,
    }
    kz = open_kizuki(store, assignments=assignments, flags=flags)
    with rich_progress() as progress:
        written = kz.analyze(progress=progress)
    out.print(f"wrote {len(written)} result tables: {', '.join(written)}")


def runs(
    store: StoreOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="Newest runs to show.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """List the recorded `kizuki analyze` runs, newest first.

    Each with its version, time, status, the steps it skipped and the tables it wrote;
    --json prints everything, the whole configuration included.
    """
    kz = open_kizuki(store)
    records = kz.run_records(limit)
    if as_json:
        rows = [{k: v for k, v in asdict(r).items() if k != "settings"} for r in records]
        out.print_json(json.dumps(rows, default=str, ensure_ascii=False))
        return
    if not records:
        out.print(f"no analyze runs recorded in {kz.url}; run `kizuki analyze`")
        return
    table = Table(title=f"analyze runs in {kz.url}")
    for column in ("run", "started (UTC)", "took", "status", "version", "skipped", "tables"):
        table.add_column(column)
    for run in records:
        skipped = ", ".join(s["step"] for s in run.steps if s["status"] == "skipped") or "—"
        table.add_row(
            run.run_id[:8],
            f"{run.started_at:%Y-%m-%d %H:%M:%S}",
            f"{(run.finished_at - run.started_at).total_seconds():.1f} s",
            run.status,
            run.kizuki_version,
            skipped,
            str(len(run.tables_written)),
        )
    out.print(table)


def show_settings(
    assignments: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the settings in effect here, each with what it means.

    Defaults, then the settings file (--config, $KIZUKI_CONFIG or ./kizuki.toml), then
    KIZUKI_* variables (nested keys joined by __), then --set.
    """
    from kizuki.settings import leaf_settings

    current = settings(assignments=assignments).model_dump(mode="json")
    if as_json:
        out.print_json(json.dumps(current, ensure_ascii=False))
        return
    for path, field in leaf_settings():
        value: Any = current
        for part in path:
            value = value[part]
        out.print(f"{'.'.join(path)} = {json.dumps(value, ensure_ascii=False)}", highlight=False)
        out.print(f"    {field.description}", style="dim", highlight=False)


def journey_check(store: StoreOpt = None, journey: JourneyOpt = None) -> None:
    """List the pages and events of the store that no stage of the journey map matches."""
    kz = open_kizuki(store, flags={"analyze.journey": journey})
    name = kz.settings.analyze.journey
    unmatched = kz.unmatched_pages(name)
    if unmatched.empty:
        out.print(f"journey map {name}: every page and event of the store is matched")
        return
    table = Table(title=f"unmatched by journey map {name}")
    for column in ("kind", "name", "events", "visitors"):
        table.add_column(column, justify="right" if column in ("events", "visitors") else "left")
    for row in unmatched.itertuples(index=False):
        table.add_row(str(row.kind), str(row.name), f"{row.events:,}", f"{row.visitors:,}")
    out.print(table)
    out.print(f"{len(unmatched)} unmatched pages/events")


def journey_suggest(
    out_file: Annotated[
        Path,
        typer.Option("--out", help="Where to write the suggested map (YAML).", show_default=False),
    ],
    store: StoreOpt = None,
    name: Annotated[str, typer.Option("--name", help="The map's name.")] = "suggested",
    min_share: Annotated[
        float,
        typer.Option(
            "--min-share",
            min=0.0,
            max=1.0,
            help="A section no name or GA4 event explains becomes a stage of its own when at "
            "least this share of sessions sees it.",
        ),
    ] = 0.01,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
) -> None:
    """Propose a journey map from the store's page paths and GA4 events.

    Stages come from the first path segments (their names, traffic and the order visitors
    reach them) and GA4's standard events (view_item, add_to_cart, begin_checkout, purchase,
    sign_up, login …); each stage in the YAML says where it came from. Edit it, then run
    `kizuki journey check --journey FILE` and `kizuki analyze --journey FILE`.
    """
    from kizuki.errors import ConfigError

    if out_file.exists() and not force:
        raise ConfigError(f"{out_file} exists; give another --out or --force to overwrite it")
    kz = open_kizuki(store)
    suggestion = kz.suggest_journey(name=name, min_share=min_share)
    suggestion.write(out_file)
    table = Table(title=f"journey map suggested from {kz.url}")
    for column in ("stage", "pages and events", "sessions"):
        table.add_column(column, justify="right" if column == "sessions" else "left")
    for row in suggestion.explanation.itertuples(index=False):
        what = row.pattern if isinstance(row.pattern, str) else f"{row.event} ({row.evidence})"
        share = "" if row.share != row.share else f"{row.share:.1%}"
        table.add_row(str(row.stage if isinstance(row.stage, str) else row.part), what, share)
    out.print(table)
    for section, share in suggestion.unplaced[:10]:
        out.print(f"not placed: {section} ({share:.1%} of sessions)", highlight=False)
    out.print(
        f"wrote {out_file}: {len(suggestion.journey.stages)} stages; edit it, then run "
        f"`kizuki journey check --journey {out_file}`",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command()(analyze)
    app.command()(runs)
    app.command("settings")(show_settings)
    journey_app.command("check")(journey_check)
    journey_app.command("suggest")(journey_suggest)
    app.add_typer(journey_app, name="journey")
