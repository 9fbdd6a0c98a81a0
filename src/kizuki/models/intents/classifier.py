"""Intent classification of inquiry texts (ja/en), with calibrated confidence and out-of-scope.

:class:`IntentClassifier` learns contact reasons from labelled texts. How it works:

Features
    TF-IDF blocks of character n-grams (from 1) and words, the recipe chosen by the training
    data (``features="auto"``: language and examples per intent), see
    :mod:`kizuki.models.intents.features`.
Model
    One-vs-rest linear SVM (``LinearSVC``): as accurate as multinomial logistic regression on
    Banking77 and much faster to fit (docs/intents.md, "Intent classifier").
Calibration
    Temperature scaling with a "none of them" logit: the probability that a text is in scope
    *and* of intent ``k`` is ``softmax([s_1, ..., s_K, 0] / T)[k]`` of the SVM scores ``s``.
    The extra logit 0 is the SVMs' own decision boundary: a text that no one-vs-rest SVM claims
    (all scores negative, as for a question about the weather) keeps most of its mass there.
    One temperature ``T`` is fitted by maximum likelihood on *out-of-fold* scores (``cv``-fold
    cross-fitting on the training set; the vocabulary is learned once on all of it).
    :meth:`~IntentClassifier.in_scope_proba` gives these joint probabilities;
    :meth:`~IntentClassifier.predict_proba` gives them normalised over the intents (the
    probability of each intent given that the text is one of them).
Out of scope
    A text whose top joint probability (its *confidence*) is below ``threshold_`` is answered
    with ``oos_label``; so is a text with no known word or character n-gram (an empty text,
    for instance), whose confidence is 0 and whose ``predict_proba`` row is uniform.
    ``oos_threshold="auto"`` chooses the threshold on the held-out predictions so that
    in-scope accuracy drops by at most ``max_accuracy_drop`` (one point by default), see
    :mod:`kizuki.models.intents.threshold`. Training texts labelled ``oos_label`` are learned
    as a class of their own.
Second opinion
    ``encoder`` (any classifier over texts, such as a fine-tuned transformer) is averaged in
    with weight ``encoder_weight``, see :mod:`kizuki.models.intents.second_opinion`.
Saving
    In the file format of :mod:`kizuki.models.intents.model_file`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

# scikit-learn is needed at import because the class subclasses its bases; nothing imports this
# module on the way to `kizuki --help`.
from sklearn.base import BaseEstimator, ClassifierMixin

from kizuki.errors import ConfigError
from kizuki.models.base import check_fitted, fit_in_scope_temperature, in_scope_softmax
from kizuki.models.intents.features import (
    RECIPES,
    choose_recipe,
    fit_features,
    recipe_vectorizers,
    texts_from,
    transform_features,
)
from kizuki.models.intents.model_file import read_model_file, write_model_file
from kizuki.models.intents.second_opinion import (
    ENCODER_WEIGHTS,
    aligned_proba,
    fit_second_opinion,
)
from kizuki.models.intents.threshold import choose_threshold

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["ENCODER_WEIGHTS", "IntentClassifier"]

FloatArray = NDArray[np.float64]


class IntentClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Classify inquiry texts into intents, or answer ``oos_label`` when none fits.

    Parameters
    ----------
    C
        Inverse regularisation strength of the linear SVM.
    features
        The feature recipe: ``"auto"`` (chosen by the training texts: Japanese or English,
        few or many examples per intent) or a name of
        :data:`kizuki.models.intents.features.RECIPES`.
    cv
        Folds of the cross-fitting that gives held-out scores for calibration and the threshold
        (fewer when the smallest intent has fewer examples; none below two).
    oos_threshold
        ``"auto"`` (chosen on held-out predictions, see the module docstring), a probability in
        [0, 1], or ``None`` to answer an intent whenever the text has any known feature.
    max_accuracy_drop
        For ``"auto"``: the share of correctly classified in-scope texts the threshold may turn
        away (0.01 = one point of accuracy).
    oos_label
        The answer for out-of-scope texts.
    encoder
        Optional second classifier over texts whose probabilities are averaged in; cloned.
    encoder_weight
        Its weight in [0, 1], or ``"auto"``: the weight of ``ENCODER_WEIGHTS`` with the best
        accuracy on the held-out split (0.5 when there is none).
    validation_size
        Share of the training texts held out to validate the encoder.
    random_state
        Seed of the fold assignment and of the SVM's coordinate descent.
    n_jobs
        SVMs fitted at once (the final one and those of the folds), in joblib worker processes:
        ``None`` is one at a time, ``-1`` one per CPU. The fitted model is the same whatever
        the value (not threads: liblinear seeds one random generator per process).

    Attributes
    ----------
    classes_ : ndarray
        The intents seen in ``fit`` (``oos_label`` too, if the training labels contain it).
    features_ : str
        The feature recipe in use (see ``features``).
    vectorizers_ : list of (TfidfVectorizer, float)
        The fitted TF-IDF blocks and their weights.
    temperature_ : float
        Softmax temperature of the SVM scores.
    threshold_ : float
        Confidence (top of :meth:`in_scope_proba`) below which ``oos_label`` is answered
        (0.0: only for texts with no known feature).
    heldout_accuracy_, heldout_macro_f1_ : float or None
        Accuracy and macro-F1 of the held-out (cross-fitted) predictions on in-scope training
        texts, before the out-of-scope threshold.
    heldout_refused_ : float or None
        Share of the in-scope training texts that the threshold turns away, held out (each
        scored by the fold that did not see it).
    encoder_weight_ : float
        The encoder's weight in use (only with an ``encoder``).

    Examples
    --------
    >>> texts = ["請求書が届かない", "invoice not received", "解約したい", "cancel my plan"] * 5
    >>> labels = ["invoice", "invoice", "cancel", "cancel"] * 5
    >>> model = IntentClassifier(oos_threshold=0.5).fit(texts, labels)
    >>> model.predict(["", "請求書が届きません"]).tolist()
    ['out_of_scope', 'invoice']
    """

    def __init__(
        self,
        *,
        C: float = 1.0,
        features: str = "auto",
        cv: int = 5,
        oos_threshold: Literal["auto"] | float | None = "auto",
        max_accuracy_drop: float = 0.01,
        oos_label: Any = "out_of_scope",
        encoder: Any = None,
        encoder_weight: float | Literal["auto"] = "auto",
        validation_size: float = 0.2,
        random_state: int | None = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.C = C
        self.features = features
        self.cv = cv
        self.oos_threshold = oos_threshold
        self.max_accuracy_drop = max_accuracy_drop
        self.oos_label = oos_label
        self.encoder = encoder
        self.encoder_weight = encoder_weight
        self.validation_size = validation_size
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, X: Any, y: Any) -> IntentClassifier:
        """Learn the intents of the texts ``X`` from their labels ``y``.

        Parameters
        ----------
        X
            A sequence of texts (list, 1-D array, pandas Series), or a 2-D array of text
            columns whose cells are joined with a space per row.
        y
            One label per text.

        Returns
        -------
        IntentClassifier
            ``self``, fitted.
        """
        from sklearn.utils import assert_all_finite, column_or_1d
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import check_consistent_length

        self._check_params()
        texts, n_columns = texts_from(X)
        if n_columns is None:
            self.__dict__.pop("n_features_in_", None)
        else:
            self.n_features_in_ = n_columns
        y = column_or_1d(np.asarray(y), warn=True)
        if y.dtype.kind in "fc":
            assert_all_finite(y, input_name="y")
        check_consistent_length(texts, y)
        if len(texts) == 0:
            raise ValueError("IntentClassifier.fit got 0 texts; give at least one per intent.")
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        self.features_ = (
            choose_recipe(texts, y_idx, with_encoder=self.encoder is not None)
            if self.features == "auto"
            else str(self.features)
        )
        self.vectorizers_ = recipe_vectorizers(self.features_)
        features = fit_features(self.vectorizers_, texts)
        heldout = self._fit_linear(features, y_idx)
        if self.encoder is not None:
            self.encoder_, self.encoder_weight_, heldout = fit_second_opinion(
                self.encoder,
                texts,
                y,
                y_idx,
                heldout,
                classes=self.classes_,
                encoder_weight=self.encoder_weight,
                validation_size=self.validation_size,
                random_state=self.random_state,
            )
        choice = choose_threshold(
            heldout,
            y_idx,
            classes=self.classes_,
            oos_label=self.oos_label,
            oos_threshold=self.oos_threshold,
            max_accuracy_drop=self.max_accuracy_drop,
        )
        self.threshold_ = choice.threshold
        self.heldout_accuracy_: float | None = choice.accuracy
        self.heldout_macro_f1_: float | None = choice.macro_f1
        self.heldout_refused_: float | None = choice.refused
        return self

    def _check_params(self) -> None:
        """Refuse hyperparameters out of range, naming the value and the range."""
        if not (isinstance(self.C, int | float) and self.C > 0):
            raise ConfigError(f"C must be a positive number; got {self.C!r}.")
        if self.features != "auto" and self.features not in RECIPES:
            raise ConfigError(
                f"features must be 'auto' or one of {sorted(RECIPES)}; got {self.features!r}."
            )
        if not (isinstance(self.cv, int) and self.cv >= 2):
            raise ConfigError(f"cv must be an integer >= 2; got {self.cv!r}.")
        t = self.oos_threshold
        if not (t is None or t == "auto" or (isinstance(t, int | float) and 0.0 <= t <= 1.0)):
            raise ConfigError(
                f"oos_threshold must be 'auto', None or a probability in [0, 1]; got {t!r}."
            )
        for name in ("max_accuracy_drop", "encoder_weight"):
            value = getattr(self, name)
            if name == "encoder_weight" and value == "auto":
                continue
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise ConfigError(f"{name} must be in [0, 1]; got {value!r}.")
        if not (isinstance(self.validation_size, float) and 0.0 < self.validation_size < 1.0):
            raise ConfigError(f"validation_size must be in (0, 1); got {self.validation_size!r}.")

    def _svm(self) -> Any:
        from sklearn.svm import LinearSVC

        return LinearSVC(C=self.C, random_state=self.random_state)

    def _fit_linear(self, features: sp.csr_matrix, y_idx: NDArray[np.intp]) -> FloatArray | None:
        """Fit the SVM and its temperature; the held-out probabilities, or None if too few.

        The final SVM and those of the folds are independent fits: with ``n_jobs`` they run at
        the same time.
        """
        from joblib import Parallel, delayed
        from sklearn.base import clone
        from sklearn.model_selection import StratifiedKFold

        self.temperature_ = 1.0
        n_classes = len(self.classes_)
        if n_classes < 2:
            self.svm_ = None
            return None
        n_splits = min(self.cv, int(np.bincount(y_idx).min()))
        splits = []
        if n_splits >= 2:
            folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
            splits = list(folds.split(np.zeros(len(y_idx)), y_idx))

        # Each task gets the SVM's parameters and the rows it fits on, not this whole model.
        svm = self._svm()
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(clone(svm).fit)(features[rows], y_idx[rows])
            for rows in [slice(None), *(train for train, _ in splits)]
        )
        self.svm_ = fitted[0]
        if not splits:
            return None
        scores = np.zeros((len(y_idx), n_classes))
        for (_, test), svm in zip(splits, fitted[1:], strict=True):
            scores[test] = _scores(svm, features[test])
        self.temperature_ = fit_in_scope_temperature(scores, y_idx)
        return in_scope_softmax(scores, self.temperature_)

    # -- prediction ------------------------------------------------------------------------

    def featurize(self, X: Any) -> sp.csr_matrix:
        """The weighted TF-IDF features of the texts ``X`` (rows unit length per block)."""
        check_fitted(self, "classes_", "fit(texts, labels)")
        return transform_features(self.vectorizers_, texts_from(X)[0])

    def predict_proba(self, X: Any) -> FloatArray:
        """Probability of each intent in ``classes_`` given that the text is one of them.

        Rows sum to 1; rows of texts with no known feature are uniform.
        """
        joint, _ = self._joint(X)
        total = joint.sum(axis=1, keepdims=True)
        uniform = np.full_like(joint, 1.0 / len(self.classes_))
        return np.asarray(np.divide(joint, total, out=uniform, where=total > 0))

    def in_scope_proba(self, X: Any) -> FloatArray:
        """Probability that each text is in scope and of each intent; rows sum to P(in scope)."""
        joint, _ = self._joint(X)
        return joint

    def predict(self, X: Any) -> NDArray[Any]:
        """The most probable intent of each text, or ``oos_label`` when none is likely enough."""
        return self.predict_with_proba(X)[0]

    def predict_with_proba(self, X: Any) -> tuple[NDArray[Any], FloatArray]:
        """:meth:`predict` and :meth:`in_scope_proba` together, the texts featurised once."""
        joint, unknown = self._joint(X)
        labels = self.classes_[joint.argmax(axis=1)]
        refuse = unknown | (joint.max(axis=1) < self.threshold_)
        if not refuse.any():
            return np.asarray(labels), joint
        if labels.dtype.kind == "U" and isinstance(self.oos_label, str):
            out = labels.astype(np.result_type(labels.dtype, np.asarray([self.oos_label]).dtype))
        else:
            out = labels.astype(object)
        out[refuse] = self.oos_label
        return np.asarray(out), joint

    def oos_score(self, X: Any) -> FloatArray:
        """``1 - confidence`` (the top of :meth:`in_scope_proba`): higher is more likely out of
        scope. For ranking, e.g. AUROC."""
        return np.asarray(1.0 - self.in_scope_proba(X).max(axis=1))

    def _joint(self, X: Any) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Joint in-scope probabilities and the mask of texts with no known feature."""
        check_fitted(self, "classes_", "fit(texts, labels)")
        texts, n_columns = texts_from(X)
        fitted_columns = getattr(self, "n_features_in_", None)
        if fitted_columns is not None and n_columns is None:
            raise ValueError(
                f"IntentClassifier was fitted on a 2-D array of {fitted_columns} text columns "
                "but got a 1-D array. Reshape your data: give the same columns as in fit."
            )
        if fitted_columns is not None and n_columns != fitted_columns:
            raise ValueError(
                f"X has {n_columns} features, but IntentClassifier is expecting "
                f"{fitted_columns} features as input (text columns); give the same as in fit."
            )
        features = transform_features(self.vectorizers_, texts)
        unknown = np.diff(features.indptr) == 0
        if self.svm_ is None:
            joint = np.ones((len(texts), 1))
        else:
            joint = in_scope_softmax(_scores(self.svm_, features), self.temperature_)
        if self.encoder is not None and len(texts):
            encoded = aligned_proba(
                self.encoder_, self.encoder_.predict_proba(texts), self.classes_
            )
            w = self.encoder_weight_
            joint = (1.0 - w) * joint + w * encoded
        joint[unknown] = 0.0
        return joint, unknown

    # -- persistence -----------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path`` (see :mod:`kizuki.models.intents.model_file`).

        Returns
        -------
        Path
            The file written.
        """
        check_fitted(self, "classes_", "fit(texts, labels)")
        return write_model_file(self, path, [str(c) for c in self.classes_.tolist()])

    @classmethod
    def load(cls, path: str | Path) -> IntentClassifier:
        """Read a model written by :meth:`save`. Load only files you trust (joblib runs code).

        Raises
        ------
        NotFoundError
            ``path`` does not exist or is not a Kizuki intent model.
        """
        model: IntentClassifier = read_model_file(path, cls)
        return model

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Models saved before ``n_jobs`` and ``heldout_refused_`` existed load with defaults."""
        state.setdefault("n_jobs", None)
        if "word_vectorizer_" in state:  # saved before feature recipes (0.19 and older)
            blocks = [(state.pop("word_vectorizer_"), 1.0), (state.pop("char_vectorizer_"), 1.0)]
            state.update(vectorizers_=blocks, features_="word+char", features="word+char")
            state.pop("word_ngram_range", None)
            state.pop("char_ngram_range", None)
        if "classes_" in state:
            state.setdefault("heldout_refused_", None)
        super().__setstate__(state)

    def __sklearn_tags__(self) -> Any:
        """Texts in: a 1-D sequence of texts, or a 2-D array of text columns."""
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags


def _scores(svm: Any, features: sp.csr_matrix) -> FloatArray:
    """SVM decision scores as an (n, n_classes) array; a binary score ``s`` gives ``[-s, s]``."""
    scores = np.asarray(svm.decision_function(features), dtype=np.float64)
    if scores.ndim == 1:
        scores = np.column_stack([-scores, scores])
    return scores
