"""The churn model: the scikit-learn contract, messy customer tables, calibrated probabilities
against the simulator's truth, reasons that name the planted drivers, the words in Japanese and
English, saved files, and the cross-validated evaluation with its target mapping."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.metrics import brier_score_loss
from sklearn.utils.estimator_checks import parametrize_with_checks

from churn_fixture import DRIVERS, simulate_customers
from kizuki.errors import ConfigError, NotFittedError, NotFoundError, SchemaError
from kizuki.models.churn import ChurnClassifier, Reason, evaluate_churn
from kizuki.models.churn_features import binary_target, peer_frame, split_columns
from kizuki.models.churn_scores import logistic_peer

SMALL = {"n_estimators": 40}  # enough trees where only the plumbing is tested


@pytest.fixture(scope="module")
def train() -> tuple[pd.DataFrame, np.ndarray]:
    frame, _ = simulate_customers(3000, seed=1)
    return frame.drop(columns="churned"), (frame["churned"] == "Yes").to_numpy(dtype=int)


@pytest.fixture(scope="module")
def test_set() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    frame, probability = simulate_customers(10_000, seed=2)
    y = (frame["churned"] == "Yes").to_numpy(dtype=int)
    return frame.drop(columns="churned"), y, probability


@pytest.fixture(scope="module")
def model(train: tuple[pd.DataFrame, np.ndarray]) -> ChurnClassifier:
    return ChurnClassifier().fit(*train)


# -- the scikit-learn contract ---------------------------------------------------------------


@parametrize_with_checks([ChurnClassifier(n_estimators=20)])
def test_scikit_learn_estimator_contract(estimator: ChurnClassifier, check: Any) -> None:
    check(estimator)


@pytest.mark.parametrize("call", ["predict_proba", "predict", "reasons", "save"])
def test_use_before_fit_is_not_fitted_error_naming_fit(call: str, tmp_path: Path) -> None:
    argument: Any = tmp_path / "m.kizuki" if call == "save" else pd.DataFrame({"a": [1.0]})
    with pytest.raises(NotFittedError, match=r"call fit\(X, y\) first") as caught:
        getattr(ChurnClassifier(), call)(argument)
    assert isinstance(caught.value, SklearnNotFittedError)


def test_probabilities_have_a_column_per_class_and_sum_to_one(
    model: ChurnClassifier, test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    X, _, _ = test_set
    p = model.predict_proba(X.head(500))
    assert model.classes_.tolist() == [0, 1]
    assert p.shape == (500, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert ((p >= 0) & (p <= 1)).all()
    assert model.predict(X.head(500)).tolist() == (p[:, 1] >= 0.5).astype(int).tolist()


def test_word_labels_are_the_classes(train: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = train
    fitted = ChurnClassifier(**SMALL).fit(X, np.where(y == 1, "Yes", "No"))
    assert fitted.classes_.tolist() == ["No", "Yes"]
    assert set(fitted.predict(X.head(200))) <= {"No", "Yes"}


def test_same_random_state_gives_identical_probabilities(
    train: tuple[pd.DataFrame, np.ndarray],
) -> None:
    X, y = train
    first = ChurnClassifier(**SMALL, random_state=7).fit(X, y).predict_proba(X)
    again = ChurnClassifier(**SMALL, random_state=7).fit(X, y).predict_proba(X)
    other = ChurnClassifier(**SMALL, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)  # the seed reaches bagging and the folds


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"calibration": "platt"}, "calibration must be one of", id="calibration"),
        pytest.param({"n_estimators": 0}, "n_estimators must be >= 1; got 0", id="trees"),
        pytest.param({"learning_rate": -0.1}, "learning_rate must be > 0", id="rate"),
        pytest.param({"subsample": 1.5}, r"subsample must be in \(0, 1\]", id="subsample"),
        pytest.param({"calibration_folds": 1}, "calibration_folds must be >= 2", id="folds"),
    ],
)
def test_bad_hyperparameters_are_refused_naming_the_value(
    params: dict[str, Any], message: str, train: tuple[pd.DataFrame, np.ndarray]
) -> None:
    with pytest.raises(ConfigError, match=message):
        ChurnClassifier(**params).fit(*train)


def test_one_class_is_refused() -> None:
    X = pd.DataFrame({"tenure": [1.0, 2.0, 3.0]})
    with pytest.raises(ConfigError, match=r"two classes in y .* got 1 class\(es\): \['No'\]"):
        ChurnClassifier().fit(X, ["No", "No", "No"])


def test_missing_lightgbm_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)
    with pytest.raises(ConfigError, match=r"pip install 'kizuki\[churn\]'"):
        ChurnClassifier().fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, 1])


# -- messy customer tables -------------------------------------------------------------------


def test_columns_are_sorted_into_numeric_and_categorical(model: ChurnClassifier) -> None:
    assert model.numeric_ == [
        "tenure_months",
        "monthly_charges",
        "total_charges",  # text with blanks, as Telco's TotalCharges
        "support_tickets",
        "noise",
    ]
    assert model.categorical_ == ["contract", "plan", "paperless_billing"]
    assert list(model.ignored_) == ["customer_id"]
    assert model.categories_["paperless_billing"] == ["False", "True"]
    assert model.n_features_in_ == 9 and "customer_id" in model.feature_names_in_


def test_text_numbers_with_blanks_are_numbers_with_nan() -> None:
    frame = pd.DataFrame({"total": ["29.85", " ", "1889.5", None, "108.15"]})
    assert split_columns(frame).numeric == ["total"]
    parsed = peer_frame(frame, split_columns(frame))["total"]
    assert parsed.isna().tolist() == [False, True, False, True, False]
    assert parsed[2] == 1889.5


def test_a_text_column_with_one_word_is_categorical() -> None:
    frame = pd.DataFrame({"total": ["29.85", "n/a", "1889.5"]})
    assert split_columns(frame).categorical == ["total"]


def test_dates_are_refused_with_what_to_do_instead() -> None:
    frame = pd.DataFrame({"signup_at": pd.to_datetime(["2026-01-01", "2026-02-01"])})
    with pytest.raises(SchemaError, match=r"'signup_at' holds dates.*days since signup"):
        split_columns(frame)


def test_missing_values_and_unseen_categories_are_scored(model: ChurnClassifier) -> None:
    odd = pd.DataFrame(
        {
            "customer_id": ["X1", "X2"],
            "tenure_months": [np.nan, 3],
            "contract": [None, "three-year"],  # missing, and never seen in training
            "monthly_charges": [50.0, np.nan],
            "total_charges": ["", "abc"],
            "support_tickets": [np.nan, 2.0],
            "plan": pd.Categorical([None, "enterprise"]),
            "paperless_billing": [True, False],
            "noise": [0.0, 0.0],
        }
    )
    p = model.predict_proba(odd)[:, 1]
    assert np.isfinite(p).all() and ((p > 0) & (p < 1)).all()


def test_columns_are_found_by_name_in_any_order(
    model: ChurnClassifier, test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    X = test_set[0].head(300)
    shuffled = X[X.columns[::-1]].assign(extra_column=1)
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(X))


def test_a_missing_column_is_a_schema_error_naming_it(
    model: ChurnClassifier, test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    with pytest.raises(SchemaError, match=r"lacks column\(s\) \['contract'\]"):
        model.predict_proba(test_set[0].drop(columns="contract"))


# -- calibration against the simulator's truth -----------------------------------------------


def test_probabilities_are_calibrated_on_a_large_sample(
    model: ChurnClassifier, test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    X, y, _ = test_set
    p = model.predict_proba(X)[:, 1]
    deciles = np.array_split(np.argsort(p), 10)
    gaps = [abs(p[rows].mean() - y[rows].mean()) for rows in deciles]
    assert max(gaps) < 0.06, gaps  # each tenth of customers, riskiest to safest
    assert abs(p.mean() - y.mean()) < 0.01


def test_calibration_repairs_an_overconfident_booster(
    train: tuple[pd.DataFrame, np.ndarray], test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    deep = {"num_leaves": 31, "learning_rate": 0.2, "min_child_samples": 5, "reg_lambda": 0.0}
    deep |= {"subsample": 1.0, "colsample_bytree": 1.0, "n_estimators": 150}
    X, y, _ = test_set
    brier = {
        how: brier_score_loss(
            y, ChurnClassifier(**deep, calibration=how).fit(*train).predict_proba(X)[:, 1]
        )
        for how in ("none", "sigmoid", "isotonic")
    }
    assert brier["sigmoid"] < brier["none"] - 0.01, brier
    assert brier["isotonic"] < brier["none"] - 0.01, brier


def test_brier_beats_logistic_regression_on_nonlinear_churn(
    model: ChurnClassifier,
    train: tuple[pd.DataFrame, np.ndarray],
    test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray],
) -> None:
    X, y, truth = test_set
    columns = split_columns(train[0])
    peer = logistic_peer(columns).fit(peer_frame(train[0], columns), train[1])
    ours = brier_score_loss(y, model.predict_proba(X)[:, 1])
    theirs = brier_score_loss(y, peer.predict_proba(peer_frame(X, columns))[:, 1])
    best = brier_score_loss(y, truth)  # the simulator's own probabilities
    assert best < ours < theirs - 0.002


# -- reasons and their words -----------------------------------------------------------------


def test_reasons_name_the_planted_drivers_for_high_risk_customers(
    model: ChurnClassifier, test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    X = test_set[0]
    riskiest = np.argsort(-model.predict_proba(X)[:, 1])[:200]
    reasons = model.reasons(X.iloc[riskiest], top=3)
    top_two = [{r.feature for r in rows[:2]} for rows in reasons]
    assert np.mean([set(DRIVERS) <= features for features in top_two]) > 0.9
    assert all(set(DRIVERS) & {r.feature for r in rows} for rows in reasons)


def test_reasons_raise_the_risk_largest_first_at_most_top(
    model: ChurnClassifier, test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    for rows in model.reasons(test_set[0].head(300), top=2):
        assert len(rows) <= 2
        assert all(r.contribution > 0 for r in rows)
        assert [r.contribution for r in rows] == sorted(
            (r.contribution for r in rows), reverse=True
        )


def test_a_new_short_tenure_monthly_customer_gets_the_two_drivers(model: ChurnClassifier) -> None:
    customer = pd.DataFrame(
        {
            "customer_id": ["N1"],
            "tenure_months": [2],
            "contract": ["month-to-month"],
            "monthly_charges": [60.0],
            "total_charges": ["120.00"],
            "support_tickets": [0.0],
            "plan": pd.Categorical(["basic"]),
            "paperless_billing": [False],
            "noise": [0.0],
        }
    )
    (reasons,) = model.reasons(customer)
    assert {r.feature for r in reasons[:2]} == set(DRIVERS)
    values = {r.feature: r.value for r in reasons}
    assert values["tenure_months"] == 2.0 and values["contract"] == "month-to-month"
    assert model.predict_proba(customer)[0, 1] > 0.5


@pytest.mark.parametrize(
    ("reason", "lang", "expected"),
    [
        pytest.param(Reason("tenure_months", 2.0, 0.9), "ja", "契約期間が低い（2）", id="ja-low"),
        pytest.param(Reason("tenure_months", 2.0, 0.9), "en", "Tenure is low (2)", id="en-low"),
        pytest.param(
            Reason("support_tickets", 6.0, 0.4), "ja", "support_ticketsが高い（6）", id="ja-high"
        ),
        pytest.param(
            Reason("monthly_charges", 1234.5, 0.2),
            "en",
            "monthly_charges is high (1,234.5)",
            id="en-thousands",
        ),
        pytest.param(
            Reason("contract", "month-to-month", 0.8),
            "ja",
            "契約形態が「month-to-month」",
            id="ja-category",
        ),
        pytest.param(
            Reason("contract", "month-to-month", 0.8),
            "en",
            "Contract = month-to-month",
            id="en-category",
        ),
        pytest.param(
            Reason("support_tickets", None, 0.1), "ja", "support_ticketsが未入力", id="ja-missing"
        ),
        pytest.param(
            Reason("support_tickets", None, 0.1),
            "en",
            "support_tickets is missing",
            id="en-missing",
        ),
    ],
)
def test_explain_in_japanese_and_english(
    model: ChurnClassifier, reason: Reason, lang: str, expected: str
) -> None:
    labels = {
        "ja": {"tenure_months": "契約期間", "contract": "契約形態"},
        "en": {"tenure_months": "Tenure", "contract": "Contract"},
    }
    assert model.explain(reason, lang, labels=labels) == expected


def test_explain_refuses_an_unknown_language(model: ChurnClassifier) -> None:
    with pytest.raises(ConfigError, match="language 'de' is not supported"):
        model.explain(Reason("contract", "month-to-month", 0.8), "de")


# -- saved files -----------------------------------------------------------------------------


def test_save_and_load_give_identical_probabilities_and_reasons(
    model: ChurnClassifier, test_set: tuple[pd.DataFrame, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    X = test_set[0].head(500)
    path = model.save(tmp_path / "churn.kizuki")
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    assert header["format"] == "kizuki-churn-model" and header["format_version"] == 1
    assert header["features"] == model.feature_names_
    loaded = ChurnClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.reasons(X.head(20)) == model.reasons(X.head(20))


def test_a_model_saved_by_another_version_warns(model: ChurnClassifier, tmp_path: Path) -> None:
    path = model.save(tmp_path / "churn.kizuki")
    header, payload = path.read_bytes().split(b"\n", 1)
    old = json.loads(header) | {"kizuki_version": "0.0.1"}
    path.write_bytes(json.dumps(old).encode() + b"\n" + payload)
    with pytest.warns(UserWarning, match="saved by Kizuki 0.0.1"):
        ChurnClassifier.load(path)


def test_load_refuses_other_files_and_missing_ones(tmp_path: Path) -> None:
    other = tmp_path / "intents.kizuki"
    other.write_bytes(b'{"format": "kizuki-intent-model", "format_version": 1}\n')
    with pytest.raises(NotFoundError, match="not a Kizuki churn model"):
        ChurnClassifier.load(other)
    with pytest.raises(NotFoundError, match="does not exist"):
        ChurnClassifier.load(tmp_path / "nothing.kizuki")


# -- evaluation and the target ---------------------------------------------------------------


def test_evaluate_churn_beside_the_peer_on_the_simulated_customers() -> None:
    frame, _ = simulate_customers(1500, seed=3)
    result = evaluate_churn(frame, "churned", "customer_id", folds=3, seed=0, with_peer=True)
    assert result["roc_auc"]["mean"] > 0.75
    assert 0 < result["brier"]["mean"] < 0.2 and result["roc_auc"]["sd"] >= 0
    assert len(result["roc_auc"]["values"]) == 3 == result["folds"]
    assert result["n"] == 1500 and result["positives"] == (frame["churned"] == "Yes").sum()
    assert result["seconds"] > 0 and result["ignored"] == {}
    assert "total_charges" in result["numeric"] and "contract" in result["categorical"]
    assert result["peer"]["roc_auc"]["mean"] > 0.7
    ratio = result["roc_auc"]["mean"] / result["peer"]["roc_auc"]["mean"]
    assert result["ratios"]["roc_auc"] == pytest.approx(ratio)


def test_evaluate_churn_is_reproducible_with_its_seed() -> None:
    frame, _ = simulate_customers(600, seed=4)
    model = ChurnClassifier(**SMALL)
    first = evaluate_churn(frame, "churned", "customer_id", folds=3, seed=5, model=model)
    again = evaluate_churn(frame, "churned", "customer_id", folds=3, seed=5, model=model)
    assert first["roc_auc"] == again["roc_auc"] and first["brier"] == again["brier"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(["Yes", "No", "yes", " NO "], [1, 0, 1, 0], id="yes-no"),
        pytest.param([True, False, True, True], [1, 0, 1, 1], id="bool"),
        pytest.param([1, 0, 0, 1], [1, 0, 0, 1], id="int"),
        pytest.param(["1", "0", "0", "1"], [1, 0, 0, 1], id="text-digits"),
        pytest.param([1.0, 0.0, 0.0, 1.0], [1, 0, 0, 1], id="float"),
        pytest.param(["churned", "active", "active", "churned"], [1, 0, 0, 1], id="churned"),
        pytest.param(["Stayed", "Left", "Stayed", "Stayed"], [0, 1, 0, 0], id="left-stayed"),
        pytest.param(["解約", "継続", "継続", "解約"], [1, 0, 0, 1], id="japanese"),
    ],
)
def test_the_target_maps_to_churned_1_and_stayed_0(values: list[Any], expected: list[int]) -> None:
    assert binary_target(pd.Series(values), "churn").tolist() == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(
            ["Yes", "No", "Maybe"], r"'churn' must hold exactly two .* 'Maybe' \(1\)", id="three"
        ),
        pytest.param(
            ["No", "No"], r"'churn' must hold exactly two .* holds 1: 'No' \(2\)", id="one"
        ),
        pytest.param(
            ["gold", "silver"],
            r"which value of target column 'churn' means churn: 'gold'",
            id="words",
        ),
        pytest.param([1, 2, 1], r"which value .* '1' \(2\), '2' \(1\)", id="one-two"),
        pytest.param(["Yes", None, "No"], r"'churn' has 1 missing value", id="missing"),
    ],
)
def test_a_target_that_cannot_be_mapped_is_a_config_error_showing_it(
    values: list[Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        binary_target(pd.Series(values), "churn")


@pytest.mark.parametrize(
    ("target", "id_column", "folds", "message"),
    [
        pytest.param("Churn", None, 5, "target column 'Churn' is not in the table", id="target"),
        pytest.param("churned", "id", 5, "id column 'id' is not in the table", id="id"),
        pytest.param("churned", None, 1, "folds must be an integer from 2 to", id="one-fold"),
        pytest.param("churned", None, 500, "folds must be .* got 500", id="too-many"),
    ],
)
def test_evaluate_churn_refuses_bad_arguments(
    target: str, id_column: str | None, folds: int, message: str
) -> None:
    frame, _ = simulate_customers(200, seed=5)
    with pytest.raises(ConfigError, match=message):
        evaluate_churn(frame, target, id_column, folds=folds)
