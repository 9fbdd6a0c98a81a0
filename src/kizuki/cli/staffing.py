"""``kizuki staffing``: the agents a chat or phone queue needs for a service-level target."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Annotated

import typer

from kizuki.cli.options import JsonOpt, StoreOpt, open_kizuki, out
from kizuki.errors import ConfigError

if TYPE_CHECKING:
    from kizuki.core import Kizuki

__all__ = ["register", "staffing"]


def staffing(
    arrivals_per_hour: Annotated[
        float | None, typer.Option("--arrivals-per-hour", help="Contacts arriving per hour.")
    ] = None,
    aht_seconds: Annotated[
        float | None,
        typer.Option("--aht-seconds", help="Average handle time per contact, seconds."),
    ] = None,
    target_sl: Annotated[
        float,
        typer.Option("--target-sl", help="Share to answer within --within-seconds (0-1)."),
    ] = 0.8,
    within_seconds: Annotated[
        float, typer.Option("--within-seconds", help="The service-level threshold, seconds.")
    ] = 20.0,
    patience_seconds: Annotated[
        float | None,
        typer.Option(
            "--patience-seconds",
            help="Mean time a waiting customer holds before hanging up: Erlang A instead of "
            "Erlang C (which assumes nobody hangs up).",
        ),
    ] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The fewest agents that meet a service level (e.g. 80% answered within 20 s), with the
    service level they reach and the average speed of answer. Erlang C by default; Erlang A
    with --patience-seconds. Example: kizuki staffing --arrivals-per-hour 200 --aht-seconds
    180 → 14 agents, 88.8%, 7.8 s. With --store (and no rates), the plan for each hour of a
    typical week from the store's chat and phone contacts (run `kizuki analyze` first)."""
    import kizuki

    if arrivals_per_hour is None or aht_seconds is None:
        if arrivals_per_hour is None and aht_seconds is None and store is not None:
            _plan(open_kizuki(store), as_json)
            return
        raise ConfigError("give --arrivals-per-hour and --aht-seconds, or --store for a plan")

    result = kizuki.open("duckdb://").staffing(
        arrivals_per_hour,
        aht_seconds,
        target_service_level=target_sl,
        within_seconds=within_seconds,
        patience_seconds=patience_seconds,
    )
    record = dataclasses.asdict(result)
    record["model"] = "erlang_a" if patience_seconds is not None else "erlang_c"
    if as_json:
        out.print_json(json.dumps(record))
        return
    lines = [
        f"{'agents':<18} {result.agents:,}",
        f"{'service_level':<18} {result.service_level:.1%} within {within_seconds:g} s",
        f"{'asa_seconds':<18} {result.asa_seconds:.1f}",
        f"{'wait_probability':<18} {result.wait_probability:.1%}",
        f"{'occupancy':<18} {result.occupancy:.1%}",
    ]
    if patience_seconds is not None:
        lines.append(f"{'abandonment':<18} {result.abandonment:.1%}")
    lines.append(f"{'model':<18} {record['model']}")
    out.print("\n".join(lines), highlight=False)


def _plan(kz: Kizuki, as_json: bool) -> None:
    """The hourly plan as JSON rows, or its summary per channel."""
    if as_json:
        out.print_json(kz.staffing_plan().to_json(orient="records"))
        return
    summary = kz.staffing_summary()
    if not len(summary):
        out.print("no chat or phone contacts to plan for")
        return
    for r in summary.itertuples():
        out.print(
            f"{r.channel:<7} peak {r.peak_agents} agents (weekday {r.peak_weekday}, "
            f"{r.peak_hour:02d}:00, {r.peak_arrivals_per_hour:.1f}/h, AHT "
            f"{r.aht_seconds:.0f} s); {r.agent_hours:,} agent hours a typical week; "
            f"{r.agent_hours_saved:,} saved with the digital_first intents in self-service",
            highlight=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Add this module's command to ``app``."""
    app.command()(staffing)
