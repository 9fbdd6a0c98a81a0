"""The ``hard`` company breaks the estimators' assumptions, knob by knob, as configured."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from kizuki.simulate import SimResult, load_config
from kizuki.simulate.catalog import build_catalog
from kizuki.simulate.hits import add_helpseeker_struggle
from kizuki.simulate.specs import SessionSpecs

_EVENTS = """
CREATE VIEW e AS SELECT user_id, user_pseudo_id, event_name, batch_event_index AS idx,
  event_timestamp AS ts, device.category AS device,
  list_filter(event_params, x -> x.key = 'ga_session_id')[1].value.int_value AS sid,
  list_filter(event_params, x -> x.key = 'page_location')[1].value.string_value AS loc,
  list_filter(event_params, x -> x.key = 'error_message')[1].value.string_value AS err
FROM read_parquet('{ga4}') WHERE event_name IS NOT NULL AND user_pseudo_id IS NOT NULL;
CREATE VIEW ids AS SELECT * FROM read_csv('{gt}/identities.csv', all_varchar = true);
CREATE VIEW hits AS SELECT * FROM read_csv('{gt}/hits.csv', all_varchar = true);
CREATE VIEW pseudo AS SELECT value AS user_pseudo_id, customer_id FROM ids
  WHERE kind = 'user_pseudo_id';
CREATE TABLE sessions AS SELECT user_pseudo_id, sid, count(user_id) AS n_uid,
  bool_or(user_id IS NULL AND idx = 0) AS starts_anonymous,
  min(idx) FILTER (WHERE user_id IS NOT NULL) AS first_uid_idx,
  min(idx) FILTER (WHERE event_name = 'login') AS login_idx,
  arg_max(loc, idx) AS last_loc
FROM e GROUP BY ALL;
"""


@pytest.fixture(scope="module")
def con(hard_sim: SimResult) -> Any:
    c = duckdb.connect()
    sql = _EVENTS.format(ga4=hard_sim.ga4_file, gt=hard_sim.ground_truth_dir)
    for statement in sql.split(";"):
        if statement.strip():
            c.execute(statement)
    yield c
    c.close()


def _one(con: Any, query: str) -> Any:
    return con.execute(query).fetchone()[0]


def _tickets(sim: SimResult) -> list[dict[str, Any]]:
    out = []
    for line in sim.zendesk_file.read_text(encoding="utf-8").splitlines():
        try:
            t = json.loads(line)
        except ValueError:  # a planted broken line
            continue
        if "id" in t and "requester" in t:
            out.append(t)
    return list({t["id"]: t for t in out}.values())


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _problems(sim: SimResult) -> list[dict[str, Any]]:
    data = json.loads((sim.ground_truth_dir / "problems.json").read_text(encoding="utf-8"))
    return data  # type: ignore[no-any-return]


# identity


def test_about_half_of_customers_sessions_are_anonymous(con: Any) -> None:
    share = _one(
        con,
        """SELECT avg((n_uid = 0)::INT) FROM sessions JOIN pseudo USING (user_pseudo_id)
           WHERE customer_id IS NOT NULL""",
    )
    assert 0.4 <= share <= 0.7


def test_mid_session_logins_set_user_id_from_the_login_event_on(con: Any) -> None:
    mid = con.execute(
        "SELECT first_uid_idx, login_idx FROM sessions WHERE starts_anonymous AND n_uid > 0"
    ).fetchall()
    assert len(mid) > 100
    assert all(first == login for first, login in mid)
    # a logged-in session without a login event carries user_id from its first event
    assert _one(con, "SELECT count(*) FROM sessions WHERE n_uid > 0 AND login_idx IS NULL") > 0
    assert (
        _one(
            con,
            """SELECT count(*) FROM sessions
           WHERE n_uid > 0 AND login_idx IS NULL AND first_uid_idx <> 0""",
        )
        == 0
    )


def test_some_customers_use_a_second_device(con: Any) -> None:
    rows = con.execute(
        """SELECT customer_id, count(DISTINCT user_pseudo_id), count(DISTINCT device)
           FROM (SELECT DISTINCT user_pseudo_id, device FROM e) JOIN pseudo USING (user_pseudo_id)
           WHERE customer_id IS NOT NULL GROUP BY 1"""
    ).fetchall()
    two = [r for r in rows if r[1] == 2]
    assert 0.15 <= len(two) / len(rows) <= 0.35  # 25% have one; not all of them use it
    assert all(r[1] <= 2 for r in rows)
    assert sum(r[2] == 2 for r in two) / len(two) > 0.9  # the other kind of device


def test_identity_truth_matches_the_user_ids_of_the_ga4_file(con: Any) -> None:
    assert (
        _one(
            con,
            "SELECT count(DISTINCT user_pseudo_id) FROM e ANTI JOIN pseudo USING (user_pseudo_id)",
        )
        == 0
    )
    assert (
        _one(
            con,
            """SELECT count(*) FROM e JOIN pseudo USING (user_pseudo_id)
           WHERE e.user_id IS NOT NULL AND e.user_id IS DISTINCT FROM customer_id""",
        )
        == 0
    )
    # prospects' devices belong to no customer and never log in
    assert (
        _one(
            con,
            """SELECT count(*) FROM e JOIN pseudo USING (user_pseudo_id)
           WHERE customer_id IS NULL AND e.user_id IS NOT NULL""",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM pseudo WHERE customer_id IS NULL") > 0


# tickets


def test_about_the_configured_share_of_tickets_link_to_their_customer(hard_sim: SimResult) -> None:
    tickets = _tickets(hard_sim)
    linked = [t for t in tickets if "external_id" in t["requester"]]
    assert len(tickets) > 150
    assert abs(len(linked) / len(tickets) - 0.75) < 0.1
    truth = {
        r["value"]: r["customer_id"]
        for r in _csv(hard_sim.ground_truth_dir / "identities.csv")
        if r["kind"] == "zendesk_requester_id"
    }
    for t in tickets:
        req = t["requester"]
        assert str(req["id"]) in truth
        if "external_id" in req:
            assert req["external_id"] == truth[str(req["id"])]
    # requester ids are stable per customer and address: one address per id, one id per address
    by_id: dict[int, set[str]] = defaultdict(set)
    by_email: dict[str, set[int]] = defaultdict(set)
    for t in tickets:
        by_id[t["requester"]["id"]].add(t["requester"]["email"])
        by_email[t["requester"]["email"]].add(t["requester"]["id"])
    assert all(len(v) == 1 for v in by_id.values())
    assert all(len(v) == 1 for v in by_email.values())


def test_tag_rates_differ_by_channel(hard_sim: SimResult) -> None:
    tickets = _tickets(hard_sim)
    rate = {}
    for via in ("email", "voice"):
        mine = [t for t in tickets if t["via"]["channel"] == via]
        tagged = [t for t in mine if any(tag.startswith("intent_") for tag in t["tags"])]
        rate[via] = len(tagged) / len(mine)
    assert rate["voice"] < 0.3 < 0.5 < rate["email"]


# errors and hits


def test_generic_messages_also_occur_in_background_sessions(con: Any) -> None:
    outside_hits = _one(
        con,
        """SELECT count(*) FROM e JOIN pseudo USING (user_pseudo_id)
           WHERE err = 'Something went wrong' AND (customer_id, sid::VARCHAR) NOT IN
             (SELECT (customer_id, ga_session_id) FROM hits)""",
    )
    assert outside_hits > 10
    pages = _one(con, "SELECT count(DISTINCT loc) FROM e WHERE err = 'Something went wrong'")
    assert pages > 3


def test_affected_customers_are_hit_more_than_once_on_average(hard_sim: SimResult) -> None:
    hits = _csv(hard_sim.ground_truth_dir / "hits.csv")
    for p in _problems(hard_sim):
        mine = [h for h in hits if h["problem"] == p["name"]]
        firsts = {h["customer_id"] for h in mine if h["first_hit"] == "1"}
        assert firsts <= set(p["affected"])
        assert len(firsts) >= 0.97 * p["n_affected"]  # a few first hits fall after churn
        assert {h["customer_id"] for h in mine} <= set(p["affected"])
        assert len(mine) / p["n_affected"] > 1.3


def test_a_problem_on_two_pages_hits_both(hard_sim: SimResult) -> None:
    problems = {p["name"]: p for p in _problems(hard_sim)}
    assert all(p["page_paths"][0] == p["page_path"] for p in problems.values())
    assert problems["invoice_pdf_cut_off"]["page_paths"] == ["/app/invoices", "/app/invoices/new"]
    assert all(len(p["page_paths"]) == 1 for n, p in problems.items() if n != "invoice_pdf_cut_off")
    hits = _csv(hard_sim.ground_truth_dir / "hits.csv")
    pages = [h["page_path"] for h in hits if h["problem"] == "invoice_pdf_cut_off"]
    share = pages.count("/app/invoices/new") / len(pages)
    assert 0.35 < share < 0.65


def test_the_no_error_problem_has_no_error_events_in_its_hits(con: Any) -> None:
    n_hits, n_err, n_reload = con.execute(
        """SELECT count(*), count(NULLIF(error_message, '')), sum(reload::INT) FROM hits
           WHERE problem = 'report_export_stalls'"""
    ).fetchone()
    assert n_hits > 100 and n_err == 0 and n_reload > 0.5 * n_hits
    in_ga4 = con.execute(
        """SELECT count(*), count(err) FROM hits
           JOIN pseudo USING (customer_id)
           JOIN e ON e.user_pseudo_id = pseudo.user_pseudo_id AND e.sid::VARCHAR = ga_session_id
           WHERE problem = 'report_export_stalls'"""
    ).fetchone()
    assert in_ga4[0] > 5 * n_hits and in_ga4[1] == 0


def test_reloads_are_likelier_after_an_error(hard_sim: SimResult) -> None:
    hits = _csv(hard_sim.ground_truth_dir / "hits.csv")
    mine = [h for h in hits if h["problem"] == "bank_link_timeout"]
    with_err = [int(h["reload"]) for h in mine if h["error_message"]]
    without = [int(h["reload"]) for h in mine if not h["error_message"]]
    assert np.mean(with_err) > 1.8 * np.mean(without)
    assert abs(np.mean(with_err + without) - 0.5) < 0.08  # the configured signal_loop overall


def test_half_the_hit_sessions_go_on_to_other_pages(con: Any) -> None:
    share = _one(con, "SELECT avg(continued::INT) FROM hits")
    assert 0.4 < share < 0.6
    ends_elsewhere = con.execute(
        """SELECT bool_and(NOT ends_with(last_loc, page_path)), count(*) FROM hits
           JOIN pseudo USING (customer_id)
           JOIN sessions s ON s.user_pseudo_id = pseudo.user_pseudo_id
             AND s.sid::VARCHAR = ga_session_id
           WHERE continued = '1'"""
    ).fetchone()
    assert ends_elsewhere[1] > 100 and ends_elsewhere[0]


def test_help_seekers_err_and_reload_at_the_configured_rates() -> None:
    cfg = load_config(Path("hard"), customers=100)
    cat = build_catalog(cfg)
    n = 20_000
    s = SessionSpecs.new(np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64), 0)
    add_helpseeker_struggle(cfg, cat, s, np.random.default_rng(1))
    assert abs((s.error >= 0).mean() - 0.15) < 0.01
    assert abs(s.loop.mean() - 0.2) < 0.01
    assert s.error.max() < cat.n_background_errors  # messages from the background pool
    assert "Something went wrong" in cat.error_messages[: cat.n_background_errors]
