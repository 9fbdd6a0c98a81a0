"""Support KPIs on small hand-computed fixtures: business hours and a public holiday, a
contact across midnight JST, no response, a chat abandoned before answer, re-contacts across
channels, NPS / CSAT / CES with their intervals, and the slices."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kizuki.analytics.kpis import KPIConfig, contact_frame, kpi_table, survey_frame

TZ = "Asia/Tokyo"


def jst(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ).tz_convert("UTC")


def contact(cid: str, customer: str, channel: str, opened: str, first: str | None,
            resolved: str | None, status: str, intent: str = "billing",
            agent: str = "a1") -> dict[str, object]:  # fmt: skip
    return {
        "contact_id": cid, "customer_id": customer, "channel": channel,
        "opened_at": jst(opened), "first_response_at": jst(first) if first else pd.NaT,
        "resolved_at": jst(resolved) if resolved else pd.NaT, "status": status,
        "intent": intent, "agent_id": agent,
    }  # fmt: skip


CONTACTS = pd.DataFrame(
    [
        # Fri 17:30 → Thu 09:30 over Golden Week (May 3-6, 2026 are holidays): 30 + 30 min
        contact("e1", "c1", "email", "2026-05-01 17:30", "2026-05-07 09:30",
                "2026-05-07 12:00", "solved"),
        # across midnight JST: Tue 23:50 → Wed 09:10 is 10 business minutes
        contact("e2", "c2", "email", "2026-05-12 23:50", "2026-05-13 09:10", None, "open",
                intent="login"),
        # no response yet
        contact("e3", "c3", "email", "2026-05-13 10:00", None, None, "new", intent="login"),
        # the same customer about the same intent 3 days after e1's solve: a re-contact
        contact("p1", "c1", "phone", "2026-05-04 10:00", "2026-05-04 10:00:15",
                "2026-05-04 10:05", "solved"),
        # chats: answered in 10 s, in 45 s, abandoned before any answer, and one still waiting
        contact("h1", "c4", "chat", "2026-05-13 11:00", "2026-05-13 11:00:10",
                "2026-05-13 11:10", "solved", intent="login", agent="a2"),
        contact("h2", "c5", "chat", "2026-05-13 11:00", "2026-05-13 11:00:45",
                "2026-05-13 11:10", "solved", intent="plan", agent="a2"),
        contact("h3", "c6", "chat", "2026-05-13 11:05", None, "2026-05-13 11:07", "closed",
                intent="plan", agent="a2"),
        contact("h4", "c7", "chat", "2026-05-13 11:06", None, None, "new", intent="plan"),
        # a chatbot conversation is self-service, not a KPI contact
        contact("b1", "c8", "chatbot", "2026-05-13 11:06", "2026-05-13 11:06", None, "solved"),
    ]
)  # fmt: skip
SEGMENTS = pd.DataFrame({"customer_id": ["c1", "c2", "c4"], "segment": ["smb", "ent", "smb"]})
SURVEYS = pd.DataFrame(
    {
        "response_id": [f"s{i}" for i in range(8)],
        "customer_id": ["c1", "c2", "c3", "c4", "c5", "c1", "c4", "c5"],
        "ts": [jst("2026-05-14 10:00")] * 8,
        "kind": ["nps", "nps", "nps", "nps", "nps", "csat", "csat", "ces"],
        "score": [10.0, 9.0, 7.0, 3.0, 6.0, 5.0, 1.0, 2.0],
        "comment": [""] * 8,
        "contact_id": ["", "", "", "", "", "e1", "h1", "h2"],
    }
)


@pytest.fixture(scope="module")
def kpis() -> pd.DataFrame:
    cfg = KPIConfig()
    frame = contact_frame(CONTACTS, SEGMENTS, cfg, TZ)
    return kpi_table(frame, survey_frame(SURVEYS, frame, SEGMENTS, TZ), cfg)


def value(kpis: pd.DataFrame, metric: str, **where: object) -> pd.Series:
    rows = kpis[kpis["metric"] == metric]
    for dim in ("channel", "intent", "segment", "agent", "week"):
        want = where.get(dim)
        rows = rows[rows[dim].isna()] if want is None else rows[rows[dim] == want]
    assert len(rows) == 1, (metric, where, rows)
    return rows.iloc[0]


def test_business_hours_skip_nights_weekends_and_holidays() -> None:
    frame = contact_frame(CONTACTS, SEGMENTS, KPIConfig(), TZ).set_index("contact_id")
    assert frame.loc["e1", "first_response_s"] == 3600  # 30 min Friday + 30 min Thursday
    assert frame.loc["e2", "first_response_s"] == 600  # across midnight: 09:00-09:10
    assert np.isnan(frame.loc["e3", "first_response_s"])
    # clock time where business hours are off
    clock = contact_frame(CONTACTS, None, KPIConfig(business_hours=False), TZ)
    assert clock.set_index("contact_id").loc["e1", "first_response_s"] == 6 * 86400 - 8 * 3600
    assert "b1" not in frame.index


def test_e2_belongs_to_its_local_day_week() -> None:
    frame = contact_frame(CONTACTS, SEGMENTS, KPIConfig(), TZ).set_index("contact_id")
    # 23:50 JST on Tuesday May 12 is 14:50 UTC: the local week starts Monday May 11
    assert frame.loc["e2", "week"] == dt.date(2026, 5, 11)
    assert frame.loc["e1", "week"] == dt.date(2026, 4, 27)


def test_email_first_response_percentiles_and_share_within(kpis: pd.DataFrame) -> None:
    p50 = value(kpis, "first_response_p50_seconds")
    assert p50["n"] == 2 and p50["value"] == pytest.approx((3600 + 600) / 2)
    within = value(kpis, "email_answered_within_share")
    # e1 and e2 within 24 business hours; e3 unanswered counts against
    assert within["n"] == 3 and within["value"] == pytest.approx(2 / 3)
    assert within["ci_low"] < 2 / 3 < within["ci_high"]


def test_chat_service_level_counts_abandoned_chats_against(kpis: pd.DataFrame) -> None:
    sl = value(kpis, "chat_service_level")
    assert sl["n"] == 3 and sl["value"] == pytest.approx(1 / 3)  # h1 of h1, h2, h3; h4 waits
    assert value(kpis, "chat_abandonment_rate")["value"] == pytest.approx(1 / 3)
    assert value(kpis, "phone_service_level")["value"] == 1.0  # answered in 15 s
    assert value(kpis, "chat_service_level", agent="a2")["n"] == 3


def test_recontact_and_first_contact_resolution(kpis: pd.DataFrame) -> None:
    rc = value(kpis, "recontact_rate")
    # 8 human contacts with an intent; e1 (billing, c1) is followed by p1 within 7 days
    assert rc["n"] == 8 and rc["value"] == pytest.approx(1 / 8)
    fcr = value(kpis, "first_contact_resolution")
    # solved and not re-contacted: p1, h1, h2 (e1 was re-contacted; h3 closed unanswered is
    # closed, so it counts as resolved by status)
    assert fcr["value"] == pytest.approx(4 / 8)
    assert value(kpis, "recontact_rate", intent="billing")["value"] == pytest.approx(1 / 2)


def test_nps_csat_ces_with_intervals(kpis: pd.DataFrame) -> None:
    nps = value(kpis, "nps")
    # promoters 10, 9; detractors 3, 6; passive 7: (2 - 2) / 5
    assert nps["value"] == 0.0 and nps["n"] == 5
    assert nps["ci_low"] < 0 < nps["ci_high"] and nps["ci_low"] >= -100
    csat = value(kpis, "csat")
    assert csat["value"] == 0.5 and csat["n"] == 2
    assert value(kpis, "csat", channel="chat")["value"] == 0.0  # h1 rated 1
    assert value(kpis, "csat", channel="email")["value"] == 1.0
    assert value(kpis, "ces")["value"] == 2.0
    assert value(kpis, "nps", segment="smb")["n"] == 2  # c1 and c4


def test_slices_have_one_dimension_or_week_and_channel(kpis: pd.DataFrame) -> None:
    filled = kpis[["channel", "intent", "segment", "agent", "week"]].notna()
    combos = {tuple(r) for r in filled.to_numpy()}
    assert combos <= {
        (False,) * 5,
        (True, False, False, False, False),
        (False, True, False, False, False),
        (False, False, True, False, False),
        (False, False, False, True, False),
        (False, False, False, False, True),
        (True, False, False, False, True),
    }
    weekly = value(kpis, "contacts", week=dt.date(2026, 5, 11))
    assert weekly["value"] == 6  # e2, e3, h1-h4


def test_deflection_is_self_service_successes_per_human_contact() -> None:
    from kizuki.analytics.kpis import deflection_rows

    frame = contact_frame(CONTACTS, SEGMENTS, KPIConfig(), TZ)
    fit = pd.DataFrame(
        {
            "intent": ["login", "login", "plan", "other"],
            "channel": ["self_service", "help_search", "self_service", "self_service"],
            "successes": [30.0, 20.0, 6.0, 50.0],
        }
    )
    rows = deflection_rows(fit, frame).set_index("intent", drop=False)
    # login: 30 successes, 3 human contacts (e2, e3, h1); plan: 6 over h2, h3, h4
    assert rows.loc["login", "value"] == pytest.approx(10.0)
    assert rows.loc["plan", "value"] == pytest.approx(2.0)
    total = rows[rows["intent"].isna()].iloc[0]
    assert total["value"] == pytest.approx(36 / 6) and total["n"] == 6  # "other": no contacts


def test_contacts_per_active_customer_by_period_week_and_segment() -> None:
    from kizuki.analytics.kpis import contacts_per_active_rows

    w1, w2 = dt.date(2026, 11, 2), dt.date(2026, 11, 9)
    contacts = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", None, "c"],
            "week": [w1, w2, w1, w1, w2],
            "segment": ["smb", "smb", "enterprise", "", "smb"],
        }
    )
    # a and d browse in week 1, a and e in week 2; c only contacted (active by contacting)
    active = pd.DataFrame(
        {
            "customer_id": ["a", "d", "a", "e"],
            "week": [w1, w1, w2, w2],
            "segment": ["smb", "smb", "smb", None],
        }
    )
    rows = contacts_per_active_rows(contacts, active)
    by = {(r.week, r.segment): (r.value, r.n) for r in rows.itertuples()}
    assert set(rows["metric"]) == {"contacts_per_active_customer"}
    assert by[(None, None)] == (4 / 5, 5)  # a, b, c, d, e; the anonymous contact left out
    assert by[(w1, None)] == (2 / 3, 3)  # a, b, d
    assert by[(w2, None)] == (2 / 3, 3)  # a, c, e
    assert by[(None, "smb")] == (3 / 3, 3)  # a, c, d
    assert by[(None, "enterprise")] == (1.0, 1)
    period = rows[rows["week"].isna() & rows["segment"].isna()].iloc[0]
    assert period["ci_low"] < period["value"] < period["ci_high"]
