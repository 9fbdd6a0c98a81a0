"""Which intent model to train: TF-IDF alone or with the fine-tuned sentence encoder.

``model="auto"`` (the default of ``kizuki intents train|evaluate`` and ``kizuki analyze``)
chooses by the data and a time budget, and says why:

- the encoder only where it helps: the packaged MiniLM is English-only, so Japanese-majority
  texts get TF-IDF (its recipe for Japanese, see :mod:`kizuki.models.intents.features`);
- only where it is installed (``kizuki[embed]``);
- only where its estimated fine-tuning time fits ``time_budget_s``. The estimate counts the
  texts it passes over: the encoder's own ``epochs="auto"`` (``30000 / n`` clipped to [3, 8]),
  twice (once on four fifths of the texts to weigh it against TF-IDF and set the out-of-scope
  threshold, once on all), at :data:`SECONDS_PER_TEXT_EPOCH` measured on the 2-core CPUs of
  docs/benchmarks.md: on a CPU without bfloat16 units (fp32) fine-tuning takes about twice as
  long and predicts 4–5 times slower, so there ``auto`` picks the encoder for fewer texts.
  Each fit also gets half the budget as its hard limit (``max_train_seconds``), so a slower
  machine trains for fewer steps instead of longer.

``model="encoder"`` forces the encoder (a clear error when the extra is missing),
``model="tfidf"`` leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kizuki.errors import ConfigError

if TYPE_CHECKING:
    from kizuki.models.intents.classifier import IntentClassifier

__all__ = [
    "MODEL_CHOICES",
    "ModelChoice",
    "ModelKind",
    "build_intent_classifier",
    "choose_intent_model",
    "encoder_seconds",
]

ModelKind = Literal["auto", "tfidf", "encoder"]
MODEL_CHOICES: tuple[str, ...] = ("auto", "tfidf", "encoder")
#: Wall seconds per text per epoch of fine-tuning, 2 threads, rounded up: bf16 on a CPU with
#: bfloat16 units (the 2-core Xeon: Banking77's 60,000 text-epochs in 329 s), fp32 elsewhere
#: (the 2-core AMD EPYC without them: 297 steps of 32 texts in 123 s), docs/benchmarks.md.
SECONDS_PER_TEXT_EPOCH = {"bf16": 0.006, "fp32": 0.013}
#: Seconds to load the packaged encoder and set it up, per fit.
ENCODER_SETUP_SECONDS = 10.0
#: Default time budget of ``auto`` for training, in seconds.
DEFAULT_TIME_BUDGET_S = 600.0


@dataclass(frozen=True)
class ModelChoice:
    """The model to train and why (shown to the user)."""

    model: Literal["tfidf", "encoder"]
    reason: str
    estimated_seconds: float | None = None


def encoder_seconds(n_texts: int, precision: str = "auto") -> float:
    """Estimated wall seconds of fine-tuning the encoder inside :class:`IntentClassifier` on
    this machine (``precision="auto"``: bf16 where the CPU has bfloat16 units)."""
    per_text_epoch = SECONDS_PER_TEXT_EPOCH[_precision(precision)]
    total = 0.0
    for n in (int(0.8 * n_texts), n_texts):
        if n <= 0:
            continue
        epochs = min(8.0, max(3.0, 30000.0 / n))
        total += n * epochs * per_text_epoch + ENCODER_SETUP_SECONDS
    return total


def _precision(precision: str) -> str:
    if precision != "auto":
        return precision
    from kizuki.models.encoder.runtime import resolve_precision

    return resolve_precision("auto")


def _encoder_installed() -> bool:
    try:
        from kizuki.models.encoder import packaged_model_path

        packaged_model_path()
    except (ConfigError, ImportError):
        return False
    return True


def _japanese_share(texts: list[str]) -> float:
    from kizuki.models.text import detect_language

    sample = texts if len(texts) <= 2000 else texts[:: len(texts) // 2000]
    nonblank = [t for t in sample if t.strip()]
    if not nonblank:
        return 0.0
    return sum(detect_language(t) == "ja" for t in nonblank) / len(nonblank)


def choose_intent_model(
    texts: list[str], model: str = "auto", *, time_budget_s: float = DEFAULT_TIME_BUDGET_S
) -> ModelChoice:
    """The model for these training texts (see the module docstring)."""
    if model not in MODEL_CHOICES:
        raise ConfigError(f"model must be one of {', '.join(MODEL_CHOICES)}; got {model!r}")
    if model == "tfidf":
        return ModelChoice("tfidf", "asked for (--model tfidf)")
    estimate = encoder_seconds(len(texts))
    if model == "encoder":
        from kizuki.models.encoder import packaged_model_path

        packaged_model_path()  # a clear error when the embed extra is missing
        return ModelChoice("encoder", "asked for (--model encoder)", estimate)
    share = _japanese_share(texts)
    if share >= 0.5:
        return ModelChoice(
            "tfidf",
            f"{share:.0%} of the texts are Japanese; the packaged sentence encoder is "
            "English-only, so TF-IDF with Japanese character n-grams",
        )
    if not _encoder_installed():
        return ModelChoice(
            "tfidf", "the sentence encoder is not installed (pip install 'kizuki[embed]')"
        )
    if estimate > time_budget_s:
        return ModelChoice(
            "tfidf",
            f"fine-tuning the encoder on {len(texts):,} texts would take about "
            f"{estimate / 60:.0f} min, over the time budget of {time_budget_s / 60:.0f} min",
            estimate,
        )
    return ModelChoice(
        "encoder",
        f"English texts; fine-tuning the sentence encoder on {len(texts):,} texts takes about "
        f"{max(estimate, 60.0) / 60:.0f} min (budget {time_budget_s / 60:.0f} min)",
        estimate,
    )


def build_intent_classifier(
    choice: ModelChoice,
    *,
    time_budget_s: float = DEFAULT_TIME_BUDGET_S,
    **params: Any,
) -> IntentClassifier:
    """An unfitted :class:`IntentClassifier` for ``choice`` (``params`` go to it)."""
    from kizuki.models.intents.classifier import IntentClassifier

    if choice.model == "encoder":
        from kizuki.models.encoder import FineTunedEncoderClassifier

        params["encoder"] = FineTunedEncoderClassifier(max_train_seconds=time_budget_s / 2)
    return IntentClassifier(**params)
