"""A saved model file: one JSON header line, then the joblib payload.

The header names the format (e.g. ``kizuki-churn-model``), its version and the Kizuki version
that wrote it, so a file is recognised (and refused with a clear message when it is something
else) before any of the payload is unpickled. The same layout as
:mod:`kizuki.models.intents.model_file`, for any model.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "m.kizuki"
>>> _ = write_saved({"a": 1}, path, format="kizuki-example", format_version=1)
>>> read_saved(path, format="kizuki-example", format_version=1, expected=dict, what="example")
{'a': 1}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kizuki.errors import NotFoundError
from kizuki.models.base import warn_if_other_version

__all__ = ["read_saved", "write_saved"]

_HEADER_MAX_BYTES = 1 << 20


def write_saved(
    model: Any,
    path: str | Path,
    *,
    format: str,
    format_version: int,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` to ``path`` behind a header (``format``, versions, ``extra``); the path."""
    import joblib

    from kizuki import __version__

    path = Path(path)
    header = {
        "format": format,
        "format_version": format_version,
        "kizuki_version": __version__,
        **(extra or {}),
    }
    with path.open("wb") as f:
        f.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
        joblib.dump(model, f)
    return path


def read_saved(
    path: str | Path,
    *,
    format: str,
    format_version: int,
    expected: type,
    what: str,
    hint: str = "",
    stacklevel: int = 4,
) -> Any:
    """The ``expected`` model in a file that :func:`write_saved` wrote in ``format``.

    Load only files you trust (joblib runs code). Warns when another Kizuki version wrote it;
    ``what`` names the kind of model in messages ("churn model"), ``hint`` what to give instead
    of a file that is something else; ``stacklevel`` points the version warning at the caller
    of the model's ``load`` (4: ``load`` calls this directly).

    Raises
    ------
    NotFoundError
        ``path`` does not exist, or is not a ``format`` file of ``format_version``.
    """
    import joblib

    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{what} file {str(path)!r} does not exist; check the path.")
    with path.open("rb") as f:
        header = _read_header(f.readline(_HEADER_MAX_BYTES), path, format, what, hint)
        if header.get("format_version") != format_version:
            raise NotFoundError(
                f"{str(path)!r} is a Kizuki {what} of format version "
                f"{header.get('format_version')!r}; this Kizuki reads version "
                f"{format_version}. Retrain and save the model with this version."
            )
        warn_if_other_version(header.get("kizuki_version"), repr(str(path)), stacklevel=stacklevel)
        model = joblib.load(f)
    if not isinstance(model, expected):
        name = expected.__name__
        article = "an" if name[:1].upper() in "AEIOU" else "a"
        raise NotFoundError(f"{str(path)!r} holds a {type(model).__name__}, not {article} {name}.")
    return model


def _read_header(line: bytes, path: Path, format: str, what: str, hint: str) -> dict[str, Any]:
    """The JSON header of a saved model, or NotFoundError saying the file is something else."""
    refusal = f"{str(path)!r} is not a Kizuki {what} (no '{format}' header)" + (
        f"; {hint}." if hint else "."
    )
    try:
        header = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise NotFoundError(refusal) from None
    if not isinstance(header, dict) or header.get("format") != format:
        raise NotFoundError(refusal)
    return header
