"""``kizuki voice`` (what customers say: sentiment per source and spikes) and
``kizuki sentiment`` (the dictionaries' sentiment of texts)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from kizuki.cli.options import JsonOpt, StoreOpt, open_kizuki, out
from kizuki.errors import ConfigError

__all__ = ["register", "sentiment", "voice"]


def voice(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """What customers say in survey comments, contacts and brand mentions: the share negative
    and positive per source, and the spikes (days with far more texts, or negative texts, than
    the days before) with their intents, incidents and example texts. Run `kizuki analyze`
    first."""
    kz = open_kizuki(store)
    summary, spikes = kz.voice_summary(), kz.voice_spikes()
    if as_json:
        record = {
            "summary": json.loads(summary.to_json(orient="records")),
            "spikes": json.loads(spikes.to_json(orient="records", date_format="iso")),
            "model": json.loads(kz.voice_model().to_json(orient="records")),
        }
        out.print_json(json.dumps(record, ensure_ascii=False))
        return
    for row in summary.itertuples():
        out.print(
            f"{row.source:<8} {row.texts:>8,} texts  {row.negative_share:6.1%} negative  "
            f"{row.positive_share:6.1%} positive",
            highlight=False,
        )
    if not len(spikes):
        out.print("no spikes")
        return
    records: list[dict[Any, Any]] = spikes.to_dict("records")
    for r in records:
        start, end = str(r["start_day"]), str(r["end_day"])
        days = start if end == start else f"{start}..{end}"
        seen = r["texts"] if r["kind"] == "volume" else r["negative"]
        incidents = ", ".join(json.loads(str(r["incident_ids"] or "[]"))) or "-"
        examples = json.loads(str(r["examples"] or "[]"))
        first = examples[0].replace("\n", " ")[:80] if examples else ""
        out.print(
            f"spike {days} {r['source']} {r['kind']}: {seen} (expected {r['expected']:.1f}); "
            f"intent {r['intent'] or '-'}; incidents {incidents}; e.g. {first!r}",
            highlight=False,
            soft_wrap=True,
        )


def sentiment(
    texts: Annotated[
        list[str] | None,
        typer.Argument(help="Texts to read (Japanese or English); '-' or none reads stdin."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Negative, neutral or positive for each text, with its polarity (−1 … 1), read by the
    dictionaries (VADER for English, Kizuki's lexicon for Japanese; nothing is trained and no
    store is needed). One text per argument, or one per line on stdin."""
    import kizuki

    if not texts or texts == ["-"]:
        texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise ConfigError("give texts as arguments, or one per line on stdin")
    table = kizuki.open("duckdb://").sentiment(texts)
    if as_json:
        out.print_json(table.to_json(orient="records", force_ascii=False))
        return
    for r in table.itertuples():
        out.print(f"{r.sentiment:<8} {r.polarity:+.2f}  {r.text}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command()(voice)
    app.command()(sentiment)
