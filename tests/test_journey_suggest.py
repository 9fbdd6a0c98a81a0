"""``kizuki journey suggest``: a GA4 export of a shop Kizuki has never seen, end to end."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import kizuki
from ecommerce_fixture import PAYMENT_PAGE, ShopExport, write_shop_export
from kizuki.cli import app
from kizuki.errors import NotFoundError
from kizuki.i18n import translate
from kizuki.journey import load_journey
from kizuki.journey_rules import decide_units

runner = CliRunner()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ShopExport:
    return write_shop_export(tmp_path_factory.mktemp("shop") / "events_20261001.parquet")


@pytest.fixture(scope="module")
def shop_store(shop: ShopExport, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh DuckDB store with the shop's GA4 export ingested through the API."""
    url = f"duckdb://{tmp_path_factory.mktemp('store') / 'shop.duckdb'}"
    with kizuki.open(url) as kz:
        (result,) = kz.ingest("ga4", [shop.path])
        assert result.rows_loaded == shop.rows and result.rows_quarantined == 0
    yield url


@pytest.fixture(scope="module")
def suggested(shop_store: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with kizuki.open(shop_store) as kz:
        suggestion = kz.suggest_journey()
        return suggestion.write(tmp_path_factory.mktemp("map") / "journey.yaml")


def _stages(path: Path) -> dict[str, dict[str, list[str]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {s["name"]: s for s in raw["stages"]}


def test_the_shop_gets_its_stages_from_paths_and_ga4_events(suggested: Path) -> None:
    stages = _stages(suggested)
    assert next(iter(stages)) == "browse" and "/$" in stages["browse"]["pages"]
    assert "/collections" in stages["browse"]["pages"]
    assert stages["product"]["pages"] == ["/products"]
    assert "view_item" in stages["product"]["events"]
    assert stages["product"]["goal_events"] == ["add_to_cart"]
    assert stages["cart"]["pages"] == ["/cart"]
    checkout = stages["checkout"]
    assert checkout["pages"] == ["/checkouts"]
    assert checkout["start_events"] == ["begin_checkout"]
    assert checkout["goal_events"] == ["purchase"]
    assert stages["purchase"]["pages"] == ["/checkouts/thank-you"]
    assert stages["account"]["goal_events"] == ["login"]
    assert stages["signup"]["pages"] == ["/account/register"]
    names = list(stages)
    assert names.index("product") < names.index("cart") < names.index("checkout")
    assert names.index("checkout") < names.index("purchase")


def test_help_contact_and_errors_are_found_and_ga4_automatic_events_ignored(
    suggested: Path,
) -> None:
    journey = load_journey(suggested)
    assert journey.help.content_pages == ["/pages/faq"]
    assert journey.help.search_events == []  # the shop's search is a product search
    assert journey.contact.pages == ["/pages/contact"]
    assert journey.errors.events == ["error"]
    assert {"session_start", "first_visit", "user_engagement"} <= set(journey.ignore_events)


def test_every_stage_is_explained_in_a_comment_with_its_share_of_sessions(
    suggested: Path,
) -> None:
    text = suggested.read_text(encoding="utf-8")
    assert "#   /checkouts: name 'checkouts'; " in text
    assert "#   `begin_checkout`: start; " in text
    assert "% of sessions" in text and "position" in text


def test_the_suggested_map_checks_clean_and_analyzes_the_shop(
    shop_store: str, suggested: Path, shop: ShopExport
) -> None:
    with kizuki.open(shop_store) as kz:
        assert kz.unmatched_pages(suggested).empty  # `journey check`: everything placed
        kz.analyze(journey=suggested, contact_reasons=False)
        assert kz.last_run() is not None and kz.last_run().journey["name"] == "suggested"
        daily = kz.stage_daily()
        assert daily["sessions"].sum() > 0
        # funnels by the suggested stages, not the built-in SaaS prefixes
        assert {"product", "cart", "checkout"} <= set(daily["stage"])
        signals = kz.signals()
        assert {"error", "loop", "unfinished_flow"} <= set(signals["signal"])
        points = kz.friction_points()
    at_payment = points[(points["page_path"] == PAYMENT_PAGE) & (points["stage"] == "checkout")]
    assert {"error", "loop"} <= set(at_payment["signal"])
    errors = at_payment[at_payment["signal"] == "error"].iloc[0]
    assert errors["visitors"] >= 0.8 * len(shop.trouble)
    top = points.sort_values("excess_sessions", ascending=False).iloc[0]
    assert top["page_path"] == PAYMENT_PAGE


def test_suggest_runs_in_the_engine_on_the_demo_company(tmp_path: Path) -> None:
    from kizuki.simulate import load_config, simulate_company

    simulate_company(load_config(None, customers=150, days=20), tmp_path)
    with kizuki.open("duckdb://") as kz:
        kz.ingest("ga4", sorted((tmp_path / "ga4").glob("*.parquet")))
        suggestion = kz.suggest_journey()
    stages = {s.name: s for s in suggestion.journey.stages}
    assert {"visit", "signup", "setup", "use", "billing"} <= set(stages)
    assert stages["signup"].goal_events == ["sign_up"] and stages["signup"].is_flow
    assert stages["setup"].goal_events == ["setup_complete"]
    assert suggestion.journey.help.search_events == ["view_search_results"]
    assert suggestion.journey.help.search_pages == ["/help/*/search"]


def test_an_empty_store_is_a_clear_error() -> None:
    with kizuki.open("duckdb://") as kz, pytest.raises(NotFoundError, match="ingest a GA4"):
        kz.suggest_journey()


def test_a_section_nothing_explains_is_its_own_stage_or_listed_as_not_placed() -> None:
    import pandas as pd

    sections = pd.DataFrame({"_section": ["/", "/zz-magazine", "/tiny"], "sessions": [100, 40, 1]})
    templates = pd.DataFrame(
        {
            "_section": ["/", "/zz-magazine", "/tiny"],
            "_template": ["/", "/zz-magazine/*", "/tiny"],
            "sessions": [100, 40, 1],
        }
    )
    units, unplaced, _ = decide_units(sections, templates, {}, 100, 0.05)
    assert [(u.pattern, u.kind) for u in units] == [("/$", "visit"), ("/zz-magazine", "custom")]
    assert unplaced == [("/tiny", 0.01)]


def test_cli_journey_suggest_writes_the_map_and_refuses_to_overwrite(
    shop_store: str, tmp_path: Path
) -> None:
    out = tmp_path / "journey.yaml"
    result = runner.invoke(app, ["journey", "suggest", "--store", shop_store, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "checkout" in result.output and "/checkouts" in result.output
    assert load_journey(out).stage_names[0] == "browse"
    again = runner.invoke(app, ["journey", "suggest", "--store", shop_store, "--out", str(out)])
    assert again.exit_code == 1 and "--force" in again.output
    check = runner.invoke(app, ["journey", "check", "--store", shop_store, "--journey", str(out)])
    assert check.exit_code == 0 and "every page and event" in check.output


def test_cli_journey_suggest_help() -> None:
    result = runner.invoke(app, ["journey", "suggest", "--help"])
    assert result.exit_code == 0
    assert "--out" in result.output and "--min-share" in result.output


def test_without_helpdesk_data_the_report_says_what_the_silent_estimate_needs(
    shop_store: str, suggested: Path, tmp_path: Path
) -> None:
    with kizuki.open(shop_store) as kz:
        kz.analyze(journey=suggested, contact_reasons=False)
        html = kz.report(tmp_path / "report.html", lang="en").read_text(encoding="utf-8")
    assert translate("silent.needs_contacts", "en").split(":")[0] in html
    assert "chart-iceberg" not in html


def _zendesk_page(kz: kizuki.Kizuki, path: Path) -> int:
    """An incremental-export page for the shop's logged-in customers: tickets that name only
    Zendesk's requester id, and the `users` sideload that ties each requester to the customer
    (``external_id``); returns the number of tickets."""
    ev = kz.store.table("events")
    seen = ev.filter(ev.customer_id.notnull()).group_by("customer_id").aggregate(at=ev.ts.max())
    rows = seen.order_by("customer_id").to_pyarrow().to_pylist()[:40]
    tickets, users = [], []
    for i, row in enumerate(rows):
        opened = (row["at"] + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        user = 9_000 + i
        users.append(
            {"id": user, "external_id": row["customer_id"], "role": "end-user",
             "email": f"buyer{i}@example.com", "updated_at": opened}
        )  # fmt: skip
        tickets.append(
            {"id": 500 + i, "created_at": opened, "updated_at": opened, "status": "open",
             "via": {"channel": "web"}, "subject": "カード決済ができません",
             "description": "支払い画面でエラーになります", "requester_id": user,
             "tags": ["intent_payment_failed"]}
        )  # fmt: skip
    page = {"tickets": tickets, "users": users, "end_of_stream": True, "after_cursor": None}
    path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    return len(tickets)


def test_ga4_and_zendesk_link_requesters_through_the_users_sideload(
    shop: ShopExport, suggested: Path, tmp_path: Path
) -> None:
    url = f"duckdb://{tmp_path / 'shop-zendesk.duckdb'}"
    with kizuki.open(url) as kz:
        kz.ingest("ga4", [shop.path])
        n = _zendesk_page(kz, tmp_path / "tickets.json")
        (tickets,) = kz.ingest("zendesk", [tmp_path / "tickets.json"])
        assert tickets.rows_loaded == n and tickets.derived.get("identities") == n
        kz.analyze(journey=suggested, contact_reasons=False)
        coverage = kz.coverage().set_index("metric")
        html = kz.report(tmp_path / "report.html", lang="en").read_text(encoding="utf-8")
    assert coverage.loc["contacts", "total"] == n
    assert coverage.loc["contacts", "linked"] == n  # no external_id on a ticket: the users did it
    assert 0 < coverage.loc["sessions", "share"] < 1  # most shop visitors never log in
    assert translate("silent.needs_contacts", "en").split(":")[0] not in html
    assert "Linked to a known customer" in html
