"""Fine-tuning the MiniLM and its head: AdamW, linear warm-up and decay, a wall-clock budget.

One pass of :func:`fine_tune` trains a backbone and a classification head in place on token
ids: length-bucketed shuffled batches with dynamic padding, cross-entropy with label smoothing,
AdamW with decoupled weight decay (not on biases and LayerNorm weights), a learning rate that
warms up linearly and then decays linearly to zero. With a time budget, the measured time per
step shortens the plan, so that training ends on time with a fully decayed learning rate.
"""

from __future__ import annotations

import math
import time
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from kizuki.models.encoder.runtime import (
    autocast,
    batches_by_length,
    import_torch,
    mean_pool,
    pad,
)
from kizuki.progress import ProgressCallback

__all__ = ["TrainingRun", "fine_tune", "prototype_weights"]


#: Optimiser steps timed before the time budget re-plans the schedule (the first steps are slow).
_STEPS_BEFORE_REPLANNING = 10


class TrainingRun(NamedTuple):
    """What a call of :func:`fine_tune` did."""

    n_steps: int
    stopped_early: bool
    seconds: float


def fine_tune(
    backbone: Any,
    head: Any,
    ids: list[list[int]],
    y_index: NDArray[np.intp],
    *,
    pad_id: int,
    epochs: float,
    batch_size: int,
    lr: float,
    head_lr: float,
    weight_decay: float,
    warmup_fraction: float,
    label_smoothing: float,
    max_train_seconds: float | None,
    precision: Literal["fp32", "bf16"],
    rng: np.random.Generator,
    callback: ProgressCallback,
) -> TrainingRun:
    """Train ``backbone`` and ``head`` on ``ids`` labelled ``y_index``; both end in eval mode."""
    torch = import_torch()
    lengths = np.array([len(seq) for seq in ids])
    planned = max(1, round(epochs * math.ceil(len(ids) / batch_size)))
    # ``plan["total"]`` shrinks when the time budget cannot fit the planned steps, so the
    # learning rate still decays to zero by the end instead of stopping mid-schedule.
    plan = {"total": planned, "warmup": int(warmup_fraction * planned)}

    def schedule(step: int) -> float:
        total, warmup = plan["total"], plan["warmup"]
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    optimizer = _adamw(backbone, head, lr=lr, head_lr=head_lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    targets = torch.as_tensor(y_index, dtype=torch.long)
    backbone.train()
    head.train()
    start, step = time.perf_counter(), 0
    while step < plan["total"]:
        for batch in batches_by_length(lengths, batch_size, rng):
            input_ids, mask = pad([ids[i] for i in batch], pad_id)
            with autocast(precision):
                hidden = backbone(input_ids=input_ids, attention_mask=mask)
                logits = head(mean_pool(hidden.last_hidden_state.float(), mask))
            loss = loss_fn(logits.float(), targets[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            elapsed = time.perf_counter() - start
            if max_train_seconds is not None and (
                step >= _STEPS_BEFORE_REPLANNING or elapsed >= max_train_seconds
            ):
                # re-planned from the mean step time so far, up or down (never past the
                # planned steps): a slow first batch or a busy moment does not cut it for good
                affordable = int(max_train_seconds / max(elapsed / step, 1e-9))
                plan["total"] = max(step, min(planned, affordable))
            callback("fit", step, plan["total"])
            if step >= plan["total"]:
                break
    seconds = time.perf_counter() - start
    backbone.eval()
    head.eval()
    return TrainingRun(step, step < planned, seconds)


def _adamw(backbone: Any, head: Any, *, lr: float, head_lr: float, weight_decay: float) -> Any:
    """AdamW over the trainable weights; no decay on biases, LayerNorm weights and the head."""
    torch = import_torch()
    decay: list[Any] = []
    no_decay: list[Any] = []
    for name, param in backbone.named_parameters():
        if param.requires_grad:
            (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(param)
    groups = [
        {"params": decay, "lr": lr, "weight_decay": weight_decay},
        {"params": no_decay, "lr": lr, "weight_decay": 0.0},
        {"params": list(head.parameters()), "lr": head_lr, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups)


def prototype_weights(
    pooled: NDArray[np.float32], y_index: NDArray[np.intp], n_classes: int
) -> NDArray[np.float32]:
    """Head weights that start each class's logit at ~10 x cosine to the class's mean embedding.

    Confident but not saturated: it helps when there are few examples per class.
    """
    prototypes = np.stack([pooled[y_index == k].mean(axis=0) for k in range(n_classes)])
    prototypes /= np.linalg.norm(prototypes, axis=1, keepdims=True)
    scale = 10.0 / float(np.linalg.norm(pooled, axis=1).mean())
    return np.asarray(prototypes * scale)
