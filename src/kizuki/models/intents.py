"""Intent classification of inquiry texts (ja/en), with calibrated confidence and out-of-scope.

:class:`IntentClassifier` learns contact reasons from labelled texts. How it works:

Features
    Word TF-IDF over :func:`kizuki.models.text.tokenize` (uni- to tri-grams; SudachiPy words
    for Japanese, lower-case words for English) next to character n-gram TF-IDF (2–5, inside
    word boundaries) over ``fold_kana(normalize(text))``, both with sublinear term frequency.
    Characters carry Japanese, where words have no spaces, and spelling variants and typos.
Model
    One-vs-rest linear SVM (``LinearSVC``). On Banking77 it matched multinomial logistic
    regression within 0.2 points of accuracy at a tenth of the fit time (bench/intents.py).
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
    ``oos_threshold="auto"`` chooses the threshold on the held-out predictions: the highest
    threshold that rejects at most ``max_accuracy_drop`` (a share) of the held-out in-scope
    texts that the model got *right*, so in-scope accuracy drops by at most that much (one
    point by default) while every less confident text is refused. Training texts labelled
    ``oos_label`` are learned as a class of their own and are left out of that count.
Second opinion
    ``encoder`` (any classifier over texts with ``fit``, ``predict_proba`` and ``classes_``,
    such as a fine-tuned transformer) is averaged in: ``(1 - w) * p_tfidf + w * p_encoder``
    with ``w = encoder_weight`` (by default the best weight on the held-out split), on the joint
    probabilities. Its held-out probabilities come
    from one stratified split of ``validation_size``; then it is refitted on all the data.

Examples
--------
>>> texts = ["ログインできない", "パスワードを忘れた", "cannot log in", "forgot my password"] * 6
>>> labels = ["login", "password", "login", "password"] * 6
>>> model = IntentClassifier(oos_threshold=None).fit(texts, labels)
>>> model.predict(["ログインできません"]).tolist()
['login']
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

# scikit-learn is needed at import because the class subclasses its bases; nothing imports this
# module on the way to `kizuki --help`.
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from kizuki.errors import ConfigError, NotFittedError, NotFoundError
from kizuki.models.text import fold_kana, normalize, tokenize
from kizuki.models.topics import IntentDiscoverer, propose_new_topics

if TYPE_CHECKING:
    import scipy.sparse as sp

# the classifier and the discoverer are both reachable from here (the discoverer lives in topics)
__all__ = ["IntentClassifier", "IntentDiscoverer", "propose_new_topics"]

FORMAT = "kizuki-intent-model"
FORMAT_VERSION = 1
_HEADER_MAX_BYTES = 1 << 20
FloatArray = NDArray[np.float64]
#: Encoder weights tried by ``encoder_weight="auto"``.
ENCODER_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


class _NotFitted(NotFittedError, SklearnNotFittedError):  # type: ignore[misc]
    """Kizuki's NotFittedError that scikit-learn's checks recognise as theirs too."""


def _char_text(text: str) -> str:
    """The text the character n-grams are taken from: normalised, katakana folded to hiragana."""
    return fold_kana(normalize(text))


class IntentClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Classify inquiry texts into intents, or answer ``oos_label`` when none fits.

    Parameters
    ----------
    C
        Inverse regularisation strength of the linear SVM.
    word_ngram_range, char_ngram_range
        ``(min_n, max_n)`` of the word and character n-grams.
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
        word_ngram_range: tuple[int, int] = (1, 3),
        char_ngram_range: tuple[int, int] = (2, 5),
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
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
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
        texts, n_columns = _as_texts(X)
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
        self.heldout_accuracy_: float | None = None
        self.heldout_macro_f1_: float | None = None
        self.heldout_refused_: float | None = None
        self.word_vectorizer_, self.char_vectorizer_ = self._vectorizers()
        features = self._fit_features(texts)
        heldout = self._fit_linear(features, y_idx)
        if self.encoder is not None:
            heldout = self._fit_encoder(texts, y, y_idx, heldout)
        self.threshold_ = self._choose_threshold(heldout, y_idx)
        return self

    def _check_params(self) -> None:
        """Refuse hyperparameters out of range, naming the value and the range."""
        if not (isinstance(self.C, int | float) and self.C > 0):
            raise ConfigError(f"C must be a positive number; got {self.C!r}.")
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

    def _vectorizers(self) -> tuple[Any, Any]:
        """Unfitted word and character TF-IDF vectorizers."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        word = TfidfVectorizer(
            tokenizer=tokenize,
            token_pattern=None,
            lowercase=False,
            ngram_range=tuple(self.word_ngram_range),
            sublinear_tf=True,
            dtype=np.float32,
        )
        char = TfidfVectorizer(
            analyzer="char_wb",
            preprocessor=_char_text,
            lowercase=False,
            ngram_range=tuple(self.char_ngram_range),
            sublinear_tf=True,
            dtype=np.float32,
        )
        return word, char

    def _fit_features(self, texts: list[str]) -> sp.csr_matrix:
        """Fit both vectorizers; the hstacked TF-IDF matrix of ``texts``."""
        import scipy.sparse as sp

        # A vocabulary can be empty (texts of punctuation only): sklearn then raises.
        blocks = []
        for vectorizer in (self.word_vectorizer_, self.char_vectorizer_):
            try:
                blocks.append(vectorizer.fit_transform(texts))
            except ValueError as err:
                if "empty vocabulary" not in str(err):
                    raise
                vectorizer.set_params(vocabulary={" ": 0}).fit(texts)
                blocks.append(vectorizer.transform(texts))
        return sp.hstack(blocks, format="csr")

    def _features(self, texts: list[str]) -> sp.csr_matrix:
        """The TF-IDF matrix of ``texts`` for the fitted vectorizers."""
        import scipy.sparse as sp

        return sp.hstack(
            [self.word_vectorizer_.transform(texts), self.char_vectorizer_.transform(texts)],
            format="csr",
        )

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
        self.temperature_ = _fit_temperature(scores, y_idx)
        return _joint_proba(scores, self.temperature_)

    def _fit_encoder(
        self, texts: list[str], y: NDArray[Any], y_idx: NDArray[np.intp], heldout: FloatArray | None
    ) -> FloatArray | None:
        """Validate the encoder on a held-out split, then refit it on everything."""
        from sklearn.model_selection import StratifiedShuffleSplit

        self.encoder_ = clone(self.encoder)
        counts = np.bincount(y_idx)
        n_val = int(np.ceil(self.validation_size * len(y_idx)))
        mixed = None
        if heldout is not None and counts.min() >= 2 and n_val >= len(counts):
            split = StratifiedShuffleSplit(
                n_splits=1, test_size=self.validation_size, random_state=self.random_state
            )
            train, val = next(split.split(np.zeros(len(y_idx)), y_idx))
            probe = clone(self.encoder).fit([texts[i] for i in train], y[train])
            encoded = self._aligned(probe, probe.predict_proba([texts[i] for i in val]))
            w = self._weight(heldout[val], encoded, y_idx[val])
            mixed = np.full_like(heldout, np.nan)
            mixed[val] = (1.0 - w) * heldout[val] + w * encoded
        else:
            self.encoder_weight_ = 0.5 if self.encoder_weight == "auto" else self.encoder_weight
        self.encoder_.fit(texts, y)
        return mixed

    def _weight(self, tfidf: FloatArray, encoded: FloatArray, y_idx: NDArray[np.intp]) -> float:
        """``encoder_weight_``: as given, or the best of ``ENCODER_WEIGHTS`` on held-out texts
        (the first of equals)."""
        if self.encoder_weight != "auto":
            self.encoder_weight_ = float(self.encoder_weight)
            return self.encoder_weight_
        accuracy = [
            float(np.mean(((1.0 - w) * tfidf + w * encoded).argmax(axis=1) == y_idx))
            for w in ENCODER_WEIGHTS
        ]
        self.encoder_weight_ = ENCODER_WEIGHTS[int(np.argmax(accuracy))]
        return self.encoder_weight_

    def _choose_threshold(self, heldout: FloatArray | None, y_idx: NDArray[np.intp]) -> float:
        """``threshold_`` from ``oos_threshold`` and the held-out probabilities."""
        if heldout is None:
            return 0.0 if self.oos_threshold in (None, "auto") else float(self.oos_threshold)
        rows = ~np.isnan(heldout[:, 0])
        in_scope = rows & (self.classes_[y_idx] != self.oos_label)
        top = heldout[in_scope].max(axis=1)
        correct = heldout[in_scope].argmax(axis=1) == y_idx[in_scope]
        self.heldout_accuracy_ = float(correct.mean()) if len(correct) else None
        if len(correct):
            from sklearn.metrics import f1_score

            predicted = heldout[in_scope].argmax(axis=1)
            self.heldout_macro_f1_ = float(
                f1_score(y_idx[in_scope], predicted, average="macro", zero_division=0)
            )
        if self.oos_threshold != "auto":
            threshold = 0.0 if self.oos_threshold is None else float(self.oos_threshold)
        else:
            allowed = int(np.floor(self.max_accuracy_drop * in_scope.sum() + 1e-9))
            right = np.sort(top[correct])
            # Texts strictly below right[allowed] are refused: at most `allowed` right ones.
            threshold = float(right[min(allowed, len(right) - 1)]) if len(right) else 0.0
        if len(top):
            self.heldout_refused_ = float(np.mean(top < threshold))
        return threshold

    # -- prediction ------------------------------------------------------------------------

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
        if not hasattr(self, "classes_"):
            raise _NotFitted(
                "This IntentClassifier is not fitted yet; call fit(texts, labels) first."
            )
        texts, n_columns = _as_texts(X)
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
        features = self._features(texts)
        unknown = np.diff(features.indptr) == 0
        if self.svm_ is None:
            joint = np.ones((len(texts), 1))
        else:
            joint = _joint_proba(_scores(self.svm_, features), self.temperature_)
        if self.encoder is not None and len(texts):
            encoded = self._aligned(self.encoder_, self.encoder_.predict_proba(texts))
            w = self.encoder_weight_
            joint = (1.0 - w) * joint + w * encoded
        joint[unknown] = 0.0
        return joint, unknown

    def _aligned(self, model: Any, proba: Any) -> FloatArray:
        """``proba`` of ``model`` with its columns put in the order of ``classes_``."""
        proba = np.asarray(proba, dtype=np.float64)
        out = np.zeros((proba.shape[0], len(self.classes_)))
        where = {label: i for i, label in enumerate(self.classes_.tolist())}
        for j, label in enumerate(np.asarray(model.classes_).tolist()):
            if label in where:
                out[:, where[label]] = proba[:, j]
        return out

    # -- persistence -----------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path``: a JSON header line, then the joblib payload.

        Returns
        -------
        Path
            The file written.
        """
        import joblib

        from kizuki import __version__

        if not hasattr(self, "classes_"):
            raise _NotFitted("Cannot save an IntentClassifier that is not fitted; fit it.")
        path = Path(path)
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kizuki_version": __version__,
            "classes": [str(c) for c in self.classes_.tolist()],
        }
        with path.open("wb") as f:
            f.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
            joblib.dump(self, f)
        return path

    @classmethod
    def load(cls, path: str | Path) -> IntentClassifier:
        """Read a model written by :meth:`save`. Load only files you trust (joblib runs code).

        Raises
        ------
        NotFoundError
            ``path`` does not exist or is not a Kizuki intent model.
        """
        import joblib

        from kizuki import __version__

        path = Path(path)
        if not path.is_file():
            raise NotFoundError(f"intent model file {str(path)!r} does not exist; check the path.")
        with path.open("rb") as f:
            header = _read_header(f.readline(_HEADER_MAX_BYTES), path)
            if header.get("format_version") != FORMAT_VERSION:
                raise NotFoundError(
                    f"{str(path)!r} is a Kizuki intent model of format version "
                    f"{header.get('format_version')!r}; this Kizuki reads version "
                    f"{FORMAT_VERSION}. Retrain and save the model with this version."
                )
            if header.get("kizuki_version") != __version__:
                warnings.warn(
                    f"{str(path)!r} was saved by Kizuki {header.get('kizuki_version')}; this is "
                    f"Kizuki {__version__}. Check its predictions or retrain it.",
                    UserWarning,
                    stacklevel=2,
                )
            model = joblib.load(f)
        if not isinstance(model, cls):
            raise NotFoundError(
                f"{str(path)!r} holds a {type(model).__name__}, not an IntentClassifier."
            )
        return model

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Models saved before ``n_jobs`` and ``heldout_refused_`` existed load with defaults."""
        state.setdefault("n_jobs", None)
        if "classes_" in state:
            state.setdefault("heldout_refused_", None)
        super().__setstate__(state)

    def __sklearn_tags__(self) -> Any:
        """Texts in: a 1-D sequence of texts, or a 2-D array of text columns."""
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags


def _read_header(line: bytes, path: Path) -> dict[str, Any]:
    """The JSON header of a saved model, or NotFoundError saying the file is something else."""
    refusal = (
        f"{str(path)!r} is not a Kizuki intent model (no '{FORMAT}' header); "
        "give a file written by IntentClassifier.save."
    )
    try:
        header = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise NotFoundError(refusal) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise NotFoundError(refusal)
    return header


def _as_texts(X: Any) -> tuple[list[str], int | None]:
    """Texts from ``X``, and its number of columns when 2-D (``None`` when 1-D).

    The columns of a 2-D row (subject and body, say) are joined with a space; missing values
    (None, NaN) are empty texts.
    """
    import scipy.sparse as sp

    if isinstance(X, str):
        raise ValueError(
            "IntentClassifier expects a sequence of texts, got a single str; "
            "wrap it in a list: [text]."
        )
    if sp.issparse(X):
        raise TypeError(
            f"IntentClassifier takes texts; sparse input ({type(X).__name__}) is not "
            "supported. Pass the raw texts, it computes its own features."
        )
    if isinstance(X, list | tuple) and all(isinstance(x, str) for x in X):
        return list(X), None
    array = np.asarray(X.to_numpy(dtype=object) if hasattr(X, "to_numpy") else X, dtype=object)
    if array.ndim == 1:
        return [_as_text(value) for value in array.tolist()], None
    if array.ndim != 2:
        raise ValueError(
            f"IntentClassifier expects a 1-D sequence of texts or a 2-D array of text columns; "
            f"got an array of shape {array.shape}."
        )
    if array.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={array.shape}) while a minimum of 1 is "
            "required: give at least one text column."
        )
    texts = [" ".join(_as_text(value) for value in row) for row in array.tolist()]
    return texts, int(array.shape[1])


def _as_text(value: Any) -> str:
    """One text: str as is, None and NaN as '', anything else through str()."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _scores(svm: Any, features: sp.csr_matrix) -> FloatArray:
    """SVM decision scores as an (n, n_classes) array; a binary score ``s`` gives ``[-s, s]``."""
    scores = np.asarray(svm.decision_function(features), dtype=np.float64)
    if scores.ndim == 1:
        scores = np.column_stack([-scores, scores])
    return scores


def _joint_proba(scores: FloatArray, temperature: float) -> FloatArray:
    """``softmax([scores, 0] / T)`` without its last ("none of them") column."""
    z = np.column_stack([scores, np.zeros(len(scores))]) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e[:, :-1] / e.sum(axis=1, keepdims=True))


def _fit_temperature(scores: FloatArray, y_idx: NDArray[np.intp]) -> float:
    """The temperature that minimises the held-out cross-entropy against smoothed targets.

    As in Platt scaling, the true class gets ``1 - eps`` with ``eps = 1 / (n + 2)`` and the
    others (with "none of them") share ``eps``: separable held-out scores then give a finite
    temperature rather than probabilities of exactly 0 and 1.
    """
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    n, k = scores.shape
    eps = 1.0 / (n + 2)
    targets = np.full((n, k + 1), eps / k)  # the last column is "none of them"
    targets[np.arange(n), y_idx] = 1.0 - eps
    logits = np.column_stack([scores, np.zeros(n)])

    def loss(log_t: float) -> float:
        return float(-np.mean(np.sum(targets * log_softmax(logits / np.exp(log_t), axis=1), 1)))

    result = minimize_scalar(loss, bounds=(np.log(1e-3), np.log(1e2)), method="bounded")
    return float(np.exp(result.x))
