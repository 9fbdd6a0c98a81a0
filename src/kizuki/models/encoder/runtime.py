"""Torch plumbing of the packaged MiniLM: threads, precision, int8, padding, batching, pooling.

Speed on CPU comes from dynamic padding: texts are tokenised once without padding, grouped into
batches of similar length and padded only to the longest text of their batch. On CPUs with
bfloat16 matrix units (AMX, AVX512-BF16) bf16 is the second win: training runs under bf16
autocast (fp32 master weights), prediction with a bf16 copy of the weights. On CPUs without
them bf16 is emulated and slower, so ``"auto"`` picks fp32 there (measurements:
docs/benchmarks.md, "Contact reasons").

torch is imported on first use (:func:`import_torch`), so that importing this module costs
nothing and a missing ``embed`` extra fails with an install hint.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from kizuki.errors import ConfigError
from kizuki.progress import ProgressCallback

if TYPE_CHECKING:
    import torch

__all__ = [
    "Precision",
    "autocast",
    "batches_by_length",
    "copy_module",
    "import_torch",
    "length_sorted_batches",
    "mean_pool",
    "pad",
    "pooled_outputs",
    "quantize_int8",
    "resolve_precision",
    "tokenize",
    "torch_threads",
]

Precision = Literal["auto", "fp32", "bf16"]


def import_torch() -> Any:
    """The torch module, or ConfigError naming the extra to install."""
    try:
        import torch
    except ImportError as exc:
        raise ConfigError(
            "this model needs torch and transformers, which are not installed; "
            "install them with: pip install 'kizuki[embed]'"
        ) from exc
    return torch


@contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Run with ``num_threads`` intra-op threads, then restore the previous setting."""
    torch = import_torch()
    if num_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def resolve_precision(precision: str) -> Literal["fp32", "bf16"]:
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


def autocast(precision: Literal["fp32", "bf16"]) -> Any:
    """bf16 autocast on the CPU for "bf16", a no-op context for "fp32"."""
    torch = import_torch()
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of the Linear layers (weights int8, activations per batch)."""
    torch = import_torch()
    with warnings.catch_warnings():
        # torch 2.10+ deprecates eager-mode quantisation in favour of torchao, which we do not
        # depend on; the API still works and is what runs fastest on CPU here.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def copy_module(module: Any) -> Any:
    """A deep copy of a torch module (its weights too)."""
    return copy.deepcopy(module)


def tokenize(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids of each text, truncated to ``max_length`` and not padded."""
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length, padding=False)
    return [list(ids) for ids in encoded["input_ids"]]


def pad(ids: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Input ids padded to the longest of ``ids``, and the attention mask."""
    torch = import_torch()
    width = max(len(seq) for seq in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return input_ids, mask


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the hidden states over the tokens that ``mask`` keeps."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def length_sorted_batches(ids: Sequence[Sequence[int]], batch_size: int) -> list[NDArray[np.intp]]:
    """Positions of ``ids`` in batches of similar length, shortest first (for prediction)."""
    order = np.argsort([len(seq) for seq in ids], kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def batches_by_length(
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


def pooled_outputs(
    backbone: Any,
    ids: Sequence[Sequence[int]],
    pad_id: int,
    batch_size: int,
    head: Callable[[torch.Tensor], torch.Tensor] | None,
    callback: ProgressCallback,
    step: str,
) -> NDArray[np.float32]:
    """Mean-pooled outputs (through ``head`` if given) in input order, longest batches last."""
    torch = import_torch()
    out: NDArray[np.float32] | None = None
    done = 0
    with torch.inference_mode():
        for batch in length_sorted_batches(ids, batch_size):
            input_ids, mask = pad([ids[i] for i in batch], pad_id)
            hidden = backbone(input_ids=input_ids, attention_mask=mask).last_hidden_state
            pooled = mean_pool(hidden.float(), mask)
            values = (head(pooled) if head is not None else pooled).float().numpy()
            if out is None:
                out = np.empty((len(ids), values.shape[1]), dtype=np.float32)
            out[batch] = values
            done += len(batch)
            callback(step, done, len(ids))
    assert out is not None
    return out
