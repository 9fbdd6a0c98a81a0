"""What the text models share: the not-fitted error, text input, version warnings, calibration.

Hand-computed toy values; the models' own tests cover how they use these.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from kizuki import __version__
from kizuki.errors import ConfigError, NotFittedError
from kizuki.models.base import (
    as_text,
    check_fitted,
    fit_in_scope_temperature,
    fit_temperature,
    in_scope_softmax,
    refuse_single_text,
    softmax,
    warn_if_other_version,
)


class _Model:
    pass


def test_not_fitted_error_is_kizukis_and_scikit_learns_and_names_the_fit_call() -> None:
    with pytest.raises(NotFittedError, match=r"this _Model is not fitted yet; call fit\(texts\)"):
        check_fitted(_Model(), "classes_", "fit(texts)")
    with pytest.raises(SklearnNotFittedError):
        check_fitted(_Model(), "classes_", "fit(texts)")
    fitted = _Model()
    fitted.classes_ = [0, 1]  # type: ignore[attr-defined]
    check_fitted(fitted, "classes_", "fit(texts)")


def test_a_single_str_is_refused_with_the_error_asked_for() -> None:
    with pytest.raises(ConfigError, match="encode expects a sequence of texts"):
        refuse_single_text("hello", "encode")
    with pytest.raises(ValueError, match=r"wrap it in a list: \[text\]"):
        refuse_single_text("hello", "IntentClassifier", ValueError)
    refuse_single_text(["hello"], "encode")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("ログイン", "ログイン"),
        (None, ""),
        (float("nan"), ""),
        ("請求書".encode(), "請求書"),
        (42, "42"),
    ],
    ids=["str", "none", "nan", "bytes", "int"],
)
def test_cells_become_texts_and_missing_ones_empty(value: object, text: str) -> None:
    assert as_text(value) == text


def test_a_model_saved_by_another_version_warns_and_this_version_does_not() -> None:
    with pytest.warns(UserWarning, match=r"'m\.kizuki' was saved by Kizuki 0\.0\.1"):
        warn_if_other_version("0.0.1", "'m.kizuki'")
    warn_if_other_version(__version__, "'m.kizuki'")  # warnings are errors in the tests


def test_softmax_divides_the_logits_by_the_temperature() -> None:
    logits = np.array([[0.0, math.log(3.0)]], dtype=np.float32)
    np.testing.assert_allclose(softmax(logits, 1.0), [[0.25, 0.75]], rtol=1e-6)
    np.testing.assert_allclose(softmax(logits, math.log(3.0) / math.log(2.0)), [[1 / 3, 2 / 3]])


def test_in_scope_softmax_keeps_the_none_of_them_mass_out() -> None:
    # scores (0, 0) with the extra logit 0: each intent and "none of them" get a third
    np.testing.assert_allclose(in_scope_softmax(np.zeros((1, 2)), 1.0), [[1 / 3, 1 / 3]])


def test_fitted_temperature_softens_overconfident_logits_and_sharpens_timid_ones() -> None:
    # the right class wins 3 of 4 times: a likelihood fit puts its probability near 3/4
    y = np.array([0, 0, 0, 1])
    confident = np.array([[10.0, 0.0]] * 4, dtype=np.float32)
    timid = np.array([[0.1, 0.0]] * 4, dtype=np.float32)
    assert fit_temperature(confident, y) > 1.0
    assert fit_temperature(timid, y) < 1.0
    t = fit_temperature(np.array([[math.log(3.0), 0.0]] * 4, dtype=np.float32), y)
    assert t == pytest.approx(1.0, abs=1e-3)


def test_in_scope_temperature_is_finite_for_separable_scores() -> None:
    scores = np.array([[5.0, -5.0], [-5.0, 5.0]] * 3)
    y = np.array([0, 1] * 3)
    t = fit_in_scope_temperature(scores, y)
    assert 1e-3 < t < 1e2
