"""``select_to_label``: the least certain texts, one per group of similar ones; a cold start
picks the representatives of groups of similar texts."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("sudachipy")

from kizuki.errors import ConfigError, NotFittedError
from kizuki.models.intents import IntentClassifier
from kizuki.models.intents.label_next import SELECTION_COLUMNS, select_to_label

CLEAR = [
    "ログインできません",
    "I forgot my password",
    "please resend the invoice",
    "解約したいです",
]
LOGIN_OR_PASSWORD = [
    "cannot log in, password reset fails",
    "cannot log in, password reset fails again",
    "cannot log in and the password reset fails",
]
INVOICE_AND_CANCEL = "請求書を送って解約したい"


def _margins(model: IntentClassifier, texts: list[str]) -> np.ndarray:
    top2 = np.sort(model.predict_proba(texts), axis=1)[:, -2:]
    return np.asarray(top2[:, 1] - top2[:, 0])


def test_without_diversity_the_smallest_margins_come_first(model: IntentClassifier) -> None:
    pool = [*CLEAR, *LOGIN_OR_PASSWORD, INVOICE_AND_CANCEL]
    chosen = select_to_label(pool, 3, model, candidates=1)
    expected = np.argsort(_margins(model, pool), kind="stable")[:3]
    assert chosen["position"].tolist() == expected.tolist()
    assert list(chosen.columns) == list(SELECTION_COLUMNS)
    assert chosen.attrs["strategy"] == "uncertainty"
    assert chosen["margin"].is_monotonic_increasing
    first = chosen.iloc[0]
    assert first["text"] == pool[first["position"]]
    assert first["guess"] in {"login", "password"}
    assert first["why"].startswith("uncertain: ")
    joint = model.in_scope_proba([first["text"]])[0]
    assert first["confidence"] == pytest.approx(joint.max())


def test_diversity_takes_one_text_of_each_confusion(
    x_train: list[str], y_train: np.ndarray
) -> None:
    # a fixed feature recipe: the premise below is about these margins, not about features
    model = IntentClassifier(features="word+char", oos_threshold=0.5).fit(x_train, y_train)
    pool = [*CLEAR, *LOGIN_OR_PASSWORD, INVOICE_AND_CANCEL]
    # uncertainty alone takes two wordings of the same login-or-password question
    alone = select_to_label(pool, 2, model, candidates=1)["position"].tolist()
    assert set(alone) <= {4, 5, 6}
    chosen = select_to_label(pool, 2, model, candidates=10)["position"].tolist()
    assert len(set(chosen) & {4, 5, 6}) == 1


def test_cold_start_picks_one_representative_per_group_largest_first() -> None:
    groups = {
        "login": [
            "I cannot log in to the app",
            "I cannot log in to the website",
            "I cannot log in today",
            "I cannot log in again",
            "I cannot log in at all",
        ],
        "refund": ["refund my last payment", "refund my payment please", "refund my payment now"],
        "weather": ["明日の天気は晴れですか", "明日の天気は雨ですか"],
    }
    pool = [t for texts in groups.values() for t in texts]
    chosen = select_to_label(pool, 3, None)
    assert chosen.attrs["strategy"] == "cold_start"
    picked = [next(g for g, ts in groups.items() if t in ts) for t in chosen["text"]]
    assert picked == ["login", "refund", "weather"]
    assert chosen["group_size"].tolist() == [5, 3, 2]
    assert chosen["guess"].tolist() == ["", "", ""]
    assert chosen["confidence"].isna().all()
    assert chosen["why"].iloc[0] == "representative of a group of 5 similar texts (no labels yet)"


def test_a_model_of_one_intent_is_a_cold_start() -> None:
    one = IntentClassifier(oos_threshold=None).fit(["cannot log in", "login fails"], ["a", "a"])
    chosen = select_to_label(["refund please", "cannot log in"], 5, one)
    assert chosen.attrs["strategy"] == "cold_start"
    assert sorted(chosen["position"]) == [0, 1]


def test_blank_and_repeated_texts_are_never_chosen(model: IntentClassifier) -> None:
    pool = ["", "   ", None, float("nan"), LOGIN_OR_PASSWORD[0], LOGIN_OR_PASSWORD[0], CLEAR[0]]
    chosen = select_to_label(pool, 10, model)
    assert sorted(chosen["position"]) == [4, 6]
    assert select_to_label(["", " "], 3, model).empty
    assert select_to_label([], 3, None).empty


@pytest.mark.parametrize("n", [0, -1, 1.5, True], ids=["zero", "negative", "float", "bool"])
def test_n_below_one_or_not_an_integer_is_refused(model: IntentClassifier, n: object) -> None:
    with pytest.raises(ConfigError, match="n \\(texts to label\\) must be an integer >= 1"):
        select_to_label(CLEAR, n, model)  # type: ignore[arg-type]


def test_candidates_below_one_is_refused(model: IntentClassifier) -> None:
    with pytest.raises(ConfigError, match="candidates must be an integer >= 1; got 0"):
        select_to_label(CLEAR, 2, model, candidates=0)


def test_an_unfitted_model_is_refused() -> None:
    with pytest.raises(NotFittedError):
        select_to_label(CLEAR, 2, IntentClassifier())


def test_the_same_seed_gives_the_same_choice(model: IntentClassifier) -> None:
    pool = [f"{a} {b}" for a in LOGIN_OR_PASSWORD + CLEAR for b in ("today", "again", "help")]
    first = select_to_label(pool, 4, model, candidates=3, random_state=7)
    again = select_to_label(pool, 4, model, candidates=3, random_state=7)
    assert first.equals(again)


def test_progress_reports_the_texts_scored(model: IntentClassifier) -> None:
    calls: list[tuple[str, float, float | None]] = []
    select_to_label(CLEAR, 2, model, progress=lambda *call: calls.append(call))
    assert calls[0] == ("scoring unlabelled texts", 0, 4)
    assert calls[-1] == ("scoring unlabelled texts", 4, 4)
