"""The torch plumbing: precision choice, length-bucketed batches, padding and mean pooling."""

from __future__ import annotations

import numpy as np
import pytest

from kizuki.errors import ConfigError
from kizuki.models.encoder.runtime import (
    batches_by_length,
    length_sorted_batches,
    resolve_precision,
)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_an_explicit_precision_is_kept(precision: str) -> None:
    assert resolve_precision(precision) == precision


def test_auto_precision_is_one_of_the_two_and_an_unknown_one_is_refused() -> None:
    assert resolve_precision("auto") in ("fp32", "bf16")
    with pytest.raises(ConfigError, match="'fp16'"):
        resolve_precision("fp16")


def test_prediction_batches_go_from_short_to_long_texts() -> None:
    ids = [[1, 2, 3], [1], [1, 2], [1, 2, 3, 4]]
    batches = length_sorted_batches(ids, batch_size=3)
    assert [b.tolist() for b in batches] == [[1, 2, 0], [3]]


def test_training_batches_cover_every_text_once_with_similar_lengths() -> None:
    lengths = np.array([5, 1, 5, 1, 5, 1, 5, 1])
    batches = batches_by_length(lengths, batch_size=4, rng=np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(8))
    assert all(len(set(lengths[b].tolist())) == 1 for b in batches)


def test_padding_and_mean_pooling_ignore_the_padded_tokens() -> None:
    torch = pytest.importorskip("torch")
    from kizuki.models.encoder.runtime import mean_pool, pad

    input_ids, mask = pad([[7, 8], [9]], pad_id=0)
    assert input_ids.tolist() == [[7, 8], [9, 0]]
    assert mask.tolist() == [[1, 1], [1, 0]]
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [100.0, 100.0]]])
    assert mean_pool(hidden, mask).tolist() == [[2.0, 3.0], [5.0, 6.0]]
