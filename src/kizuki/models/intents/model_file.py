"""The file an intent classifier is saved to: a JSON header line, then the joblib payload
(:mod:`kizuki.models.saved`).

The header names the format (``kizuki-intent-model``), its version, the Kizuki version that
wrote it and the intents, so a file is recognised (and refused with a clear message when it is
something else) before any of the payload is unpickled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kizuki.models.saved import read_saved, write_saved

__all__ = ["FORMAT", "FORMAT_VERSION", "read_model_file", "write_model_file"]

FORMAT = "kizuki-intent-model"
FORMAT_VERSION = 1


def write_model_file(model: Any, path: str | Path, classes: list[str]) -> Path:
    """Write ``model`` to ``path`` behind a header listing its ``classes``; the path."""
    return write_saved(
        model, path, format=FORMAT, format_version=FORMAT_VERSION, extra={"classes": classes}
    )


def read_model_file(path: str | Path, expected: type) -> Any:
    """The model in a file written by :func:`write_model_file`, which must be an ``expected``.

    Load only files you trust (joblib runs code). Warns when another Kizuki version wrote it.

    Raises
    ------
    NotFoundError
        ``path`` does not exist, or is not a Kizuki intent model of this format version.
    """
    return read_saved(
        path,
        format=FORMAT,
        format_version=FORMAT_VERSION,
        expected=expected,
        what="intent model",
        hint="give a file written by IntentClassifier.save",
        stacklevel=5,  # the caller of IntentClassifier.load, one call further out
    )
