"""Progress reporting without printing: the core calls a callback, the CLI draws Rich bars."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ProgressCallback", "no_progress"]

#: ``callback(step, completed, total)``: work ``step`` has reached ``completed`` of ``total``
#: units (``total`` is None when unknown). Called often; must be cheap.
ProgressCallback = Callable[[str, float, float | None], None]


def no_progress(step: str, completed: float, total: float | None) -> None:
    """The default callback: report nothing."""
