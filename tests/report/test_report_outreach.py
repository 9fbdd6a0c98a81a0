"""The outreach section: the queue's first rows with cause, P(churn), value and reasons in the
report's language, suppressed rows marked, and the churn model's validation, in ja and en."""

from __future__ import annotations

import datetime as dt

import pytest
from test_report_selfservice import sections, store_with, translate

ROW = {
    "rank": 1, "customer_id": "C0000001", "cause": "incident:INC-9",
    "triggers": '["incident", "high_risk"]', "incident_id": "INC-9", "p_churn": 0.123,
    "value": 24000.0, "p_save": 0.2, "expected_value_saved": 590.4,
    "reasons_ja": "直近28日のエラーが高い（2）",
    "reasons_en": "errors in the last 28 days is high (2)",
    "intent": "bank_link", "channel": "chat", "article": "kb-7",
    "article_title": "銀行口座の連携方法", "message_ja": "…", "message_en": "…",
    "idempotency_key": "k1", "suppressed": False, "suppressed_reason": None,
}  # fmt: skip
QUEUE = [
    ROW,
    {**ROW, "rank": 2, "customer_id": "C0000002", "cause": "high_risk", "incident_id": None,
     "triggers": '["high_risk"]', "idempotency_key": "k2", "suppressed": True,
     "intent": None, "channel": "email", "article": None, "article_title": None,
     "suppressed_reason": "opted_out"},
]  # fmt: skip
MODEL = [
    {"status": "trained", "cutoff": dt.datetime(2026, 10, 31, tzinfo=dt.UTC), "window_days": 30,
     "train_customers": 9000, "train_churners": 321, "roc_auc": 0.614, "brier": 0.03,
     "base_rate": 0.0345, "test_customers": 3400, "p_save": 0.3, "p_save_from": "outreach",
     "outreach_reached": 40, "alive_status": "no_purchases", "alive_customers": 0},
]  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    kz = store_with({"result_outreach_queue": QUEUE, "result_churn_model": MODEL})
    out = tmp_path_factory.mktemp("outreach")
    return {lang: sections(kz, out, lang) for lang in ("ja", "en")}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_queue_with_causes_reasons_and_value(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["outreach"]
    table = html.split('class="compact outreach-queue"')[1].split("</table>")[0]
    assert translate("outreach.cause.incident", lang) + " (INC-9)" in table
    assert "12.3%" in table and "590" in table
    assert ROW[f"reasons_{lang}"] in table
    assert translate("outreach.suppressed.opted_out", lang) in table
    assert "銀行口座の連携方法" in table and translate("selfservice.channel.chat", lang) in table
    learned = translate("outreach.explain.learned", lang, months="12", p_save="30%", reached="40")
    assert learned in html
    assert translate("outreach.summary", lang, count="1", value="590", suppressed="1") in html
    assert (
        translate(
            "outreach.model.validated", lang, churners="321", days=30, auc="0.61", base="3.5%"
        )
        in html
    )
