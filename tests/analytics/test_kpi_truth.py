"""The KPIs on a simulated company against the times the simulator drew
(``ground_truth/tickets.csv``): Zendesk export in, first-response times out, ticket by ticket,
and the chat service level and CSAT they add up to. The first response is the first public
agent comment (exact to the second); Zendesk's own ``reply_time_in_minutes`` is whole minutes,
too coarse for a 20-second service level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kizuki
from kizuki.analytics.kpis import (
    KPIConfig,
    contact_frame,
    kpi_table,
    survey_frame,
    with_first_replies,
)
from kizuki.ingest import ingest_files
from kizuki.simulate import load_config, simulate_company

TZ = "Asia/Tokyo"
# the simulator's business calendar has no public holidays: measure on the same one
CONFIG = KPIConfig(holiday_country="")


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    directory = tmp_path_factory.mktemp("kpi_truth")
    sim = simulate_company(load_config(None, customers=1500, days=45, seed=5), directory / "d")
    kz = kizuki.open(f"duckdb://{directory / 'store.duckdb'}")
    ingest_files(kz.store, "zendesk", [sim.zendesk_file])
    contacts = kz.store.to_arrow(kz.store.table("contacts")).to_pandas()
    surveys = kz.store.to_arrow(kz.store.table("surveys")).to_pandas()
    comments = kz.store.to_arrow(kz.store.table("comments")).to_pandas()
    kz.close()
    replies = comments[(comments["author_role"] == "agent") & comments["public"].fillna(False)]
    contacts = with_first_replies(contacts, replies[["contact_id", "ts"]])
    frame = contact_frame(contacts, None, CONFIG, TZ)
    kpis = kpi_table(frame, survey_frame(surveys, frame, None, TZ), CONFIG)
    truth = pd.read_csv(Path(sim.ground_truth_dir) / "tickets.csv", dtype={"contact_id": str})
    joined = truth.merge(frame, on="contact_id", suffixes=("_truth", ""))
    assert len(joined) >= 0.95 * len(truth)  # the export's planted defects are quarantined
    return joined, kpis


def test_email_first_response_in_business_minutes(measured: tuple) -> None:
    joined, _ = measured
    written = joined[joined["channel"].isin(CONFIG.email_channels) & joined["answered"]]
    assert len(written) > 100
    # the simulator counts whole minutes on its clock; Kizuki counts seconds
    gap = (written["first_response_s"] / 60 - written["first_response_business_minutes"]).abs()
    assert (gap <= 1.0).all()


def test_chat_and_phone_first_response_on_the_clock(measured: tuple) -> None:
    joined, kpis = measured
    live = joined[joined["channel"].isin(("chat", "phone")) & joined["answered"]]
    assert len(live) > 50
    gap = (live["first_response_s"] - live["first_response_seconds"]).abs()
    assert (gap <= 1.0).all()
    chat = live[live["channel"] == "chat"]
    truth_level = float((chat["first_response_seconds"] <= 20).mean())
    row = kpis[(kpis["metric"] == "chat_service_level") & kpis["channel"].isna()
               & kpis["week"].isna() & kpis["intent"].isna() & kpis["segment"].isna()
               & kpis["agent"].isna()].iloc[0]  # fmt: skip
    # every chat in the simulated export was answered: the level is the truth's
    assert row["n"] == len(chat)
    assert row["value"] == pytest.approx(truth_level)


def test_csat_is_the_share_of_good_ratings(measured: tuple) -> None:
    joined, kpis = measured
    rated = joined[joined["csat"].isin((2, 3))]
    truth = float((rated["csat"] == 2).mean())
    row = kpis[
        (kpis["metric"] == "csat")
        & kpis[["channel", "intent", "segment", "agent", "week"]].isna().all(axis=1)
    ]
    value = float(row["value"].iloc[0])  # fmt: skip
    assert value == pytest.approx(truth, abs=0.02)
    assert np.isfinite(row["ci_low"].iloc[0]) and row["ci_low"].iloc[0] < value
