"""``kizuki intents label-next``: the unlabelled texts a team should label next, as a CSV."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kizuki.cli.options import EncodingOpt, StoreOpt, open_kizuki, out, rich_progress
from kizuki.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["label_next"]


def label_next(
    n: Annotated[int, typer.Option("--n", help="How many texts to choose.")] = 50,
    out_file: Annotated[
        Path, typer.Option("--out", help="CSV file to write (the team fills in its intent column).")
    ] = Path("label-next.csv"),
    store: StoreOpt = None,
    model_file: Annotated[
        Path | None,
        typer.Option("--model", help="Model file from `intents train` (default: trained now)."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="CSV of unlabelled texts to choose from instead of the store's contacts "
            "(the store is then read only with --store).",
        ),
    ] = None,
    column: Annotated[str, typer.Option("--column", help="Text column of --data.")] = "text",
    labels: Annotated[
        list[Path] | None,
        typer.Option(
            "--labels",
            help="Labelled CSV (text,intent) to train on instead of the store's labels; "
            "repeatable, e.g. once per round filled in.",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the choice (default: analyze.seed).")
    ] = None,
    encoding: EncodingOpt = "utf-8",
) -> None:
    """Write the unlabelled texts whose labels would most improve the intent model.

    The model's least certain contacts, one per group of similar ones, with its guess; with no
    labels yet, the contacts that best represent groups of similar ones. Fill in the intent
    column and train on it with `kizuki intents train --data FILE`.
    """
    import pandas as pd

    from kizuki.models.evaluate import read_labelled_csv

    if n < 1:
        raise ConfigError(f"--n must be at least 1; got {n}")
    texts = _read_texts(data, column, encoding) if data else None
    labelled = None
    if labels:
        labelled = pd.concat([read_labelled_csv(p, encoding=encoding) for p in labels])
    kz = open_kizuki(store if store or data is None else "duckdb://")
    with rich_progress() as progress:
        table = kz.label_next(
            n, model=model_file, texts=texts, labelled=labelled, seed=seed, progress=progress
        )
    try:
        table.to_csv(out_file, index=False, encoding=encoding, float_format="%.3f")
    except UnicodeEncodeError as exc:
        raise ConfigError(
            f"{out_file}: a chosen text cannot be written in {encoding} ({exc.reason}); "
            "use --encoding utf-8"
        ) from None
    out.print(_summary(table, out_file, model_file), highlight=False, markup=False, soft_wrap=True)


def _read_texts(path: Path, column: str, encoding: str) -> list[str]:
    """The texts of ``column`` of the CSV file ``path`` (blank cells are empty texts)."""
    import pandas as pd

    if not path.is_file():
        raise NotFoundError(f"text file {path} does not exist")
    try:
        frame = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid {encoding} ({exc.reason} at byte {exc.start}); "
            "pass the file's encoding, e.g. --encoding cp932"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ConfigError(f"{path}: not a readable CSV file ({exc})") from None
    if column not in frame.columns:
        raise ConfigError(f"{path}: no column {column!r}; found {list(frame)}; use --column")
    return frame[column].tolist()


def _summary(table: pd.DataFrame, path: Path, model_file: Path | None) -> str:
    """What was written and what to do next."""
    info = table.attrs
    what = "contacts" if "contact_id" in table.columns else "texts"
    if info["strategy"] == "cold_start":
        why = (
            "no labels of two or more intents yet (cold start), so the ones that best represent "
            "groups of similar ones"
        )
    elif model_file:
        why = f"the ones the model {model_file} is least sure of, one per group of similar ones"
    else:
        why = (
            f"the ones the model (trained on {info['labels']:,} labels, {info['intents']} "
            "intents) is least sure of, one per group of similar ones"
        )
    return (
        f"wrote {len(table):,} of {info['unlabelled']:,} unlabelled {what} to {path}: {why}\n"
        "next: fill in the intent column (rows left blank are skipped) and train on it, with "
        f"your earlier labels in the same file:\n  kizuki intents train --data {path} --out "
        "model.joblib"
    )
