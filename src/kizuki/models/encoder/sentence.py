"""Frozen sentence embeddings from the packaged MiniLM (mean pooling, L2-normalised).

Used by topic discovery (:mod:`kizuki.models.topics`) and as features.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kizuki.errors import ConfigError
from kizuki.models.base import refuse_single_text
from kizuki.models.encoder.minilm import load_backbone, load_tokenizer, packaged_model_path
from kizuki.models.encoder.runtime import (
    Precision,
    import_torch,
    pooled_outputs,
    quantize_int8,
    resolve_precision,
    tokenize,
    torch_threads,
)
from kizuki.progress import ProgressCallback, no_progress

__all__ = ["SentenceEncoder"]


class SentenceEncoder:
    """Frozen all-MiniLM-L6-v2 sentence embeddings (384 dimensions, unit length).

    Parameters
    ----------
    batch_size : int
        Texts per forward pass; texts are sorted by length first so padding stays small.
    quantize : bool
        Quantise the Linear layers to int8 (dynamic quantisation). Faster on CPUs without
        bfloat16 units, but lossy: the embeddings drift measurably from the fp32 ones (see
        docs/benchmarks.md). Prefer ``precision="bf16"`` where available.
    max_length : int
        Tokens kept per text (the model was trained with 256).
    num_threads : int or None
        torch intra-op threads while encoding (restored afterwards); None keeps torch's setting.
    precision : {"auto", "fp32", "bf16"}
        "bf16" encodes with a bfloat16 copy of the weights: on CPUs with bfloat16 units faster
        than fp32 and practically equal to it (see docs/benchmarks.md); emulated and slow on
        CPUs without them. "auto" picks bf16 where the CPU has them.

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
        torch = import_torch()
        precision = resolve_precision(self.precision)
        path = packaged_model_path()
        self._tokenizer = load_tokenizer(path)
        model = load_backbone(path).eval()
        if self.quantize:
            model = quantize_int8(model)
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
        refuse_single_text(texts, "encode")
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self._load()
        with torch_threads(self.num_threads):
            ids = tokenize(self._tokenizer, texts, self.max_length)
            pooled = pooled_outputs(
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
