"""``kizuki alive …``: the BG/NBD purchase model — which customers are still customers."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kizuki.cli.options import JsonOpt, out

__all__ = ["app", "fit", "register"]

app = typer.Typer(
    help="Customers without a contract: fit the BG/NBD model of their purchases (P(alive)).",
    no_args_is_help=True,
)


class Unit(StrEnum):
    """Time units of ``--unit``."""

    day = "day"
    week = "week"


@app.command("fit")
def fit(
    transactions: Annotated[
        Path,
        typer.Option("--transactions", help="Purchase log, one row per purchase: CSV or Parquet."),
    ],
    customer: Annotated[
        str, typer.Option("--customer", help="Column holding the customer.", show_default=False)
    ],
    date: Annotated[
        str,
        typer.Option("--date", help="Column holding the purchase date.", show_default=False),
    ],
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Last day of the calibration period, e.g. 1997-09-30 (default: the last date "
            "in the file); later purchases are left out.",
            show_default=False,
        ),
    ] = None,
    unit: Annotated[Unit, typer.Option("--unit", help="Time unit of recency, T and alpha.")] = (
        Unit.week
    ),
    as_json: JsonOpt = False,
) -> None:
    """Fit the BG/NBD model (Fader, Hardie & Lee 2005) to a purchase log and print its
    parameters r, alpha (per --unit), a, b and the log-likelihood. Several purchases of a
    customer on one day count once. Example: kizuki alive fit --transactions cdnow.csv
    --customer customer_id --date date --until 1997-09-30 → r 0.2426, alpha 4.4136,
    a 0.7929, b 2.4259 (docs/alive.md)."""
    import kizuki

    model = kizuki.open("duckdb://").fit_alive(
        transactions, customer, date, until=until, unit=unit.value
    )
    record = {
        **model.params_,
        "log_likelihood": model.log_likelihood_,
        "n_customers": model.n_customers_,
        "unit": unit.value,
    }
    if as_json:
        out.print_json(json.dumps(record))
        return
    lines = [f"{'customers':<16} {model.n_customers_:,}"]
    lines += [f"{name:<16} {value:.4f}" for name, value in model.params_.items()]
    lines[2] += f" (per {unit.value})"
    lines.append(f"{'log_likelihood':<16} {model.log_likelihood_:.2f}")
    out.print("\n".join(lines), highlight=False)


def register(parent: typer.Typer) -> None:
    """Add ``kizuki alive`` to ``parent`` (the root command)."""
    parent.add_typer(app, name="alive")
