"""A text classifier: the packaged MiniLM fine-tuned with a linear head on the CPU.

A scikit-learn classifier with ``save``/``load``; :class:`~kizuki.models.intents.IntentClassifier`
can average it in as a second opinion (``encoder=``). The torch plumbing it runs on (dynamic
padding, bf16, int8) is in :mod:`kizuki.models.encoder.runtime`.

Reproducibility: every call that uses randomness runs inside ``torch.random.fork_rng`` seeded
with ``random_state``, so the caller's global torch RNG is left as it was. Results are
bit-identical for the same seed, thread count and machine; a different ``num_threads`` may change
the last bits of floating-point sums (and so, rarely, a prediction).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin

from kizuki.errors import ConfigError, NotFoundError
from kizuki.models.base import (
    as_text,
    check_fitted,
    fit_temperature,
    refuse_single_text,
    softmax,
    warn_if_other_version,
)
from kizuki.models.encoder.minilm import (
    PACKAGED_MODEL_SHA256,
    load_backbone,
    load_tokenizer,
    packaged_model_path,
)
from kizuki.models.encoder.runtime import (
    Precision,
    copy_module,
    import_torch,
    pooled_outputs,
    quantize_int8,
    resolve_precision,
    tokenize,
    torch_threads,
)
from kizuki.models.encoder.training import fine_tune, prototype_weights
from kizuki.progress import ProgressCallback, no_progress

__all__ = ["FineTunedEncoderClassifier"]

_CONFIG_FILE = "kizuki_encoder_classifier.json"
_WEIGHTS_FILE = "weights.safetensors"


def _texts(X: ArrayLike | Sequence[str], what: str, *, allow_empty: bool = False) -> list[str]:
    """The texts of ``X`` (missing ones empty); ConfigError for a single str or no texts."""
    refuse_single_text(X, what)
    texts = [as_text(x) for x in np.ravel(X)]
    if len(texts) == 0 and not allow_empty:
        raise ConfigError(f"{what} got no texts (0 samples); pass at least one")
    return texts


class FineTunedEncoderClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Text classifier: the packaged MiniLM fine-tuned with a linear head on CPU.

    Texts are tokenised once (at most ``max_length`` tokens), mean-pooled after the first
    ``n_layers`` transformer layers, and classified by a linear layer. Training uses AdamW with
    a linear warm-up and linear decay, label smoothing, length-bucketed batches with dynamic
    padding, and stops early once ``max_train_seconds`` have passed.

    Parameters
    ----------
    n_layers : int
        Transformer layers kept (1–6); fewer train and predict faster, at some accuracy.
    epochs : float or "auto"
        Passes over the training texts. ``"auto"``: ``30000 / n`` clipped to [3, 8] for ``n``
        training texts (3 for 10,000 texts, 8 below 3,750), the two settings validated on
        Banking77 (full and 10 per intent).
    lr : float
        Peak learning rate of the transformer layers.
    head_lr : float
        Peak learning rate of the classification head (new weights learn faster).
    batch_size : int or "auto"
        Training texts per step. ``"auto"``: 32, or 16 below 2,000 training texts.
    max_length : int
        Tokens kept per text.
    warmup_fraction : float
        Share of the steps spent warming the learning rate up from 0.
    weight_decay : float
        AdamW decoupled weight decay (not applied to biases and LayerNorm weights).
    label_smoothing : float
        Label smoothing of the cross-entropy loss.
    dropout : float
        Dropout on the pooled embedding before the head.
    freeze_embeddings : bool
        Keep the word-embedding table fixed (faster steps, less over-fitting on small data).
    head_init : {"random", "prototypes"}
        Start the head at random, or at each class's mean embedding (normalised, scaled), which
        helps when there are few examples per class (one extra forward pass over the data).
    calibration_fraction : float
        Share of the training texts held out (stratified) to fit a softmax temperature for
        :meth:`predict_proba`; 0 keeps temperature 1.
    max_train_seconds : float or None
        Wall-clock budget for training. When the measured time per step says the planned
        epochs will not fit, the step count (and with it the learning-rate decay) is shortened
        so that training ends on time with a fully decayed learning rate.
    precision : {"auto", "bf16", "fp32"}
        Arithmetic of training (bf16 autocast keeps fp32 master weights) and of prediction
        (a bf16 copy of the weights). "auto" picks bf16 on CPUs with bfloat16 units.
    quantize_for_inference : bool
        Predict with int8 dynamic quantisation of the Linear layers instead (fp32 activations).
    prediction_batch_size : int
        Texts per forward pass when predicting.
    num_threads : int or None
        torch intra-op threads during ``fit`` and prediction (restored afterwards).
    random_state : int
        Seed of the head initialisation, dropout, batching and calibration split.

    Attributes
    ----------
    classes_ : ndarray
        Class labels, in the column order of :meth:`predict_proba`.
    temperature_ : float
        Softmax temperature (1.0 unless calibrated).
    n_steps_ : int
        Optimiser steps taken.
    train_seconds_ : float
        Wall-clock seconds spent in the training loop.
    stopped_early_ : bool
        Whether ``max_train_seconds`` shortened training.

    Examples
    --------
    >>> clf = FineTunedEncoderClassifier(n_layers=1, epochs=1)  # doctest: +SKIP
    >>> clf.fit(["card lost", "top up failed"], ["lost_card", "top_up"]).predict(["lost my card"])
    ... # doctest: +SKIP
    """

    def __init__(
        self,
        n_layers: int = 6,
        epochs: float | Literal["auto"] = "auto",
        lr: float = 1e-4,
        head_lr: float = 2e-3,
        batch_size: int | Literal["auto"] = "auto",
        max_length: int = 64,
        warmup_fraction: float = 0.06,
        weight_decay: float = 0.01,
        label_smoothing: float = 0.1,
        dropout: float = 0.1,
        freeze_embeddings: bool = True,
        head_init: Literal["random", "prototypes"] = "random",
        calibration_fraction: float = 0.0,
        max_train_seconds: float | None = None,
        precision: Precision = "auto",
        quantize_for_inference: bool = False,
        prediction_batch_size: int = 128,
        num_threads: int | None = 2,
        random_state: int = 0,
    ) -> None:
        self.n_layers = n_layers
        self.epochs = epochs
        self.lr = lr
        self.head_lr = head_lr
        self.batch_size = batch_size
        self.max_length = max_length
        self.warmup_fraction = warmup_fraction
        self.weight_decay = weight_decay
        self.label_smoothing = label_smoothing
        self.dropout = dropout
        self.freeze_embeddings = freeze_embeddings
        self.head_init = head_init
        self.calibration_fraction = calibration_fraction
        self.max_train_seconds = max_train_seconds
        self.precision = precision
        self.quantize_for_inference = quantize_for_inference
        self.prediction_batch_size = prediction_batch_size
        self.num_threads = num_threads
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting
    def _validate_params(self) -> None:
        checks = [
            (self.epochs == "auto" or self.epochs > 0, f"epochs must be > 0, got {self.epochs}"),
            (
                self.head_init in ("random", "prototypes"),
                f"head_init must be 'random' or 'prototypes', got {self.head_init!r}",
            ),
            (
                self.batch_size == "auto" or self.batch_size >= 1,
                f"batch_size must be >= 1 or 'auto', got {self.batch_size}",
            ),
            (self.max_length >= 2, f"max_length must be >= 2, got {self.max_length}"),
            (self.lr > 0 and self.head_lr > 0, f"lr and head_lr must be > 0, got {self.lr}"),
            (
                0 <= self.warmup_fraction < 1,
                f"warmup_fraction must be in [0, 1): {self.warmup_fraction}",
            ),
            (
                0 <= self.label_smoothing < 1,
                f"label_smoothing must be in [0, 1): {self.label_smoothing}",
            ),
            (
                0 <= self.calibration_fraction < 1,
                f"calibration_fraction must be in [0, 1): {self.calibration_fraction}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def fit(
        self,
        X: ArrayLike | Sequence[str],
        y: ArrayLike,
        *,
        callback: ProgressCallback = no_progress,
    ) -> FineTunedEncoderClassifier:
        """Fine-tune on texts ``X`` with labels ``y``.

        Parameters
        ----------
        X : sequence of str
            Training texts.
        y : array-like
            One label per text; at least two distinct labels.
        callback : ProgressCallback
            Called as ``callback("fit", steps_done, total_steps)`` after each optimiser step.
        """
        from sklearn.utils.multiclass import check_classification_targets

        self._validate_params()
        resolve_precision(self.precision)
        texts = _texts(X, "fit")
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != len(texts):
            raise ConfigError(
                f"y must be 1-D with one label per text: {labels.shape} vs {len(texts)}"
            )
        check_classification_targets(labels)
        self.classes_, y_index = np.unique(labels, return_inverse=True)
        if len(self.classes_) < 2:
            raise ConfigError(f"fit needs at least 2 classes, got {self.classes_.tolist()}")
        torch = import_torch()
        train_idx, calib_idx = self._calibration_split(y_index)
        with torch_threads(self.num_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            self._build(len(self.classes_))
            ids = tokenize(self._tokenizer, texts, self.max_length)
            self._train([ids[i] for i in train_idx], y_index[train_idx], callback)
            self._prepare_inference()
            self.temperature_ = 1.0
            if len(calib_idx):
                logits = self._logits([ids[i] for i in calib_idx])
                self.temperature_ = fit_temperature(logits, y_index[calib_idx])
        return self

    def _calibration_split(
        self, y_index: NDArray[np.intp]
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        everything = np.arange(len(y_index))
        if self.calibration_fraction == 0:
            return everything, everything[:0]
        from sklearn.model_selection import train_test_split

        train, calib = train_test_split(
            everything,
            test_size=self.calibration_fraction,
            random_state=self.random_state,
            stratify=y_index if np.bincount(y_index).min() >= 2 else None,
        )
        return np.sort(train), np.sort(calib)

    def _build(self, n_classes: int) -> None:
        torch = import_torch()
        path = packaged_model_path()
        self._tokenizer = load_tokenizer(path)
        self._backbone = load_backbone(path, self.n_layers)
        self._head = torch.nn.Sequential(
            torch.nn.Dropout(self.dropout),
            torch.nn.Linear(self._backbone.config.hidden_size, n_classes),
        )
        self._backbone.embeddings.word_embeddings.weight.requires_grad_(not self.freeze_embeddings)

    def _train(
        self, ids: list[list[int]], y_index: NDArray[np.intp], callback: ProgressCallback
    ) -> None:
        n = len(ids)
        self.epochs_ = min(8.0, max(3.0, 30000 / n)) if self.epochs == "auto" else self.epochs
        self.batch_size_ = (
            (32 if n >= 2000 else 16) if self.batch_size == "auto" else self.batch_size
        )
        if self.head_init == "prototypes":
            self._init_head_from_prototypes(ids, y_index)
        run = fine_tune(
            self._backbone,
            self._head,
            ids,
            y_index,
            pad_id=self._tokenizer.pad_token_id,
            epochs=self.epochs_,
            batch_size=self.batch_size_,
            lr=self.lr,
            head_lr=self.head_lr,
            weight_decay=self.weight_decay,
            warmup_fraction=self.warmup_fraction,
            label_smoothing=self.label_smoothing,
            max_train_seconds=self.max_train_seconds,
            precision=resolve_precision(self.precision),
            rng=np.random.default_rng(self.random_state),
            callback=callback,
        )
        self.n_steps_, self.stopped_early_, self.train_seconds_ = run

    def _init_head_from_prototypes(self, ids: list[list[int]], y_index: NDArray[np.intp]) -> None:
        torch = import_torch()
        self._backbone.eval()
        pooled = pooled_outputs(
            self._backbone,
            ids,
            self._tokenizer.pad_token_id,
            self.prediction_batch_size,
            None,
            no_progress,
            "init",
        )
        weights = prototype_weights(pooled, y_index, self._head[1].out_features)
        with torch.no_grad():
            self._head[1].weight.copy_(torch.from_numpy(weights))
            self._head[1].bias.zero_()

    def _prepare_inference(self) -> None:
        torch = import_torch()
        backbone, head = self._backbone, self._head
        if self.quantize_for_inference:
            backbone = quantize_int8(copy_module(backbone))
        elif resolve_precision(self.precision) == "bf16":
            backbone = copy_module(backbone).to(torch.bfloat16)
        self._inference = (backbone, head)

    # --------------------------------------------------------------- prediction
    def _logits(
        self, ids: Sequence[Sequence[int]], callback: ProgressCallback = no_progress
    ) -> NDArray[np.float32]:
        backbone, head = self._inference
        return pooled_outputs(
            backbone,
            ids,
            self._tokenizer.pad_token_id,
            self.prediction_batch_size,
            head,
            callback,
            "predict",
        )

    def _check_fitted(self) -> None:
        check_fitted(
            self, "_inference", "fit(texts, labels) or FineTunedEncoderClassifier.load(path)"
        )

    def decision_function(self, X: ArrayLike | Sequence[str]) -> NDArray[np.float32]:
        """Raw logits, one column per class in ``classes_``."""
        self._check_fitted()
        texts = _texts(X, "decision_function", allow_empty=True)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        with torch_threads(self.num_threads):
            return self._logits(tokenize(self._tokenizer, texts, self.max_length))

    def predict_proba(
        self, X: ArrayLike | Sequence[str], *, callback: ProgressCallback = no_progress
    ) -> NDArray[np.float64]:
        """Class probabilities (softmax of the logits divided by ``temperature_``)."""
        self._check_fitted()
        texts = _texts(X, "predict_proba", allow_empty=True)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float64)
        with torch_threads(self.num_threads):
            logits = self._logits(tokenize(self._tokenizer, texts, self.max_length), callback)
        return softmax(logits, self.temperature_)

    def predict(self, X: ArrayLike | Sequence[str]) -> NDArray[Any]:
        """The most probable class of each text."""
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[np.argmax(proba, axis=1)])

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to folder ``path``: weights (safetensors) and a JSON config."""
        from safetensors.torch import save_file

        self._check_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {f"backbone.{k}": v for k, v in self._backbone.state_dict().items()}
        tensors.update({f"head.{k}": v for k, v in self._head.state_dict().items()})
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(folder / _WEIGHTS_FILE))
        from kizuki import __version__

        config = {
            "kizuki_version": __version__,
            "base_model_sha256": PACKAGED_MODEL_SHA256,
            "params": self.get_params(),
            "classes": self.classes_.tolist(),
            "temperature": self.temperature_,
            "n_steps": self.n_steps_,
            "train_seconds": self.train_seconds_,
            "stopped_early": self.stopped_early_,
        }
        (folder / _CONFIG_FILE).write_text(
            json.dumps(config, indent=2, ensure_ascii=False), "utf-8"
        )
        return folder

    @classmethod
    def load(cls, path: str | Path) -> FineTunedEncoderClassifier:
        """Read a model written by :meth:`save`; warns if another Kizuki version saved it."""
        from safetensors.torch import load_file

        folder = Path(path)
        if not (folder / _CONFIG_FILE).exists():
            raise NotFoundError(f"no saved classifier in {folder} ({_CONFIG_FILE} is missing)")
        config = json.loads((folder / _CONFIG_FILE).read_text("utf-8"))
        warn_if_other_version(config["kizuki_version"], f"the model in {folder}")
        model = cls(**config["params"])
        model.classes_ = np.asarray(config["classes"])
        model.temperature_ = float(config["temperature"])
        model.n_steps_ = int(config["n_steps"])
        model.train_seconds_ = float(config["train_seconds"])
        model.stopped_early_ = bool(config["stopped_early"])
        model._build(len(model.classes_))
        tensors = load_file(str(folder / _WEIGHTS_FILE))
        for prefix, module in (("backbone.", model._backbone), ("head.", model._head)):
            state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            module.load_state_dict(state)
        model._backbone.eval()
        model._head.eval()
        model._prepare_inference()
        return model
