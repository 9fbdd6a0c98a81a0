"""The file an intent classifier is saved to: a JSON header line, then the joblib payload.

The header names the format (``kizuki-intent-model``), its version, the Kizuki version that
wrote it and the intents, so a file is recognised (and refused with a clear message when it is
something else) before any of the payload is unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kizuki.errors import NotFoundError
from kizuki.models.base import warn_if_other_version

__all__ = ["FORMAT", "FORMAT_VERSION", "read_model_file", "write_model_file"]

FORMAT = "kizuki-intent-model"
FORMAT_VERSION = 1
_HEADER_MAX_BYTES = 1 << 20


def write_model_file(model: Any, path: str | Path, classes: list[str]) -> Path:
    """Write ``model`` to ``path`` behind a header listing its ``classes``; the path."""
    import joblib

    from kizuki import __version__

    path = Path(path)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kizuki_version": __version__,
        "classes": classes,
    }
    with path.open("wb") as f:
        f.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
        joblib.dump(model, f)
    return path


def read_model_file(path: str | Path, expected: type) -> Any:
    """The model in a file written by :func:`write_model_file`, which must be an ``expected``.

    Load only files you trust (joblib runs code). Warns when another Kizuki version wrote it.

    Raises
    ------
    NotFoundError
        ``path`` does not exist, or is not a Kizuki intent model of this format version.
    """
    import joblib

    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"intent model file {str(path)!r} does not exist; check the path.")
    with path.open("rb") as f:
        header = _read_header(f.readline(_HEADER_MAX_BYTES), path)
        if header.get("format_version") != FORMAT_VERSION:
            raise NotFoundError(
                f"{str(path)!r} is a Kizuki intent model of format version "
                f"{header.get('format_version')!r}; this Kizuki reads version "
                f"{FORMAT_VERSION}. Retrain and save the model with this version."
            )
        # stacklevel 4: the warning points at whoever called the model's ``load``
        warn_if_other_version(header.get("kizuki_version"), repr(str(path)), stacklevel=4)
        model = joblib.load(f)
    if not isinstance(model, expected):
        raise NotFoundError(
            f"{str(path)!r} holds a {type(model).__name__}, not an {expected.__name__}."
        )
    return model


def _read_header(line: bytes, path: Path) -> dict[str, Any]:
    """The JSON header of a saved model, or NotFoundError saying the file is something else."""
    refusal = (
        f"{str(path)!r} is not a Kizuki intent model (no '{FORMAT}' header); "
        "give a file written by IntentClassifier.save."
    )
    try:
        header = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise NotFoundError(refusal) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise NotFoundError(refusal)
    return header
