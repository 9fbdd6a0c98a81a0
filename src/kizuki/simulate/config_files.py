"""Finding and reading simulator config files: shipped names and ``inherits``.

The shipped configs live beside this module as ``NAME_config.yaml`` (``default``, ``hard``);
``--config hard`` names one. A YAML file may start from another config with
``inherits: NAME`` (a shipped name, or a path relative to the file): its mappings are merged
key by key over the parent's, and anything else (a list, a number, a string) replaces the
parent's value.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kizuki.errors import ConfigError, NotFoundError

__all__ = ["default_config_path", "named_configs", "read_config"]

_SUFFIX = "_config.yaml"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_DEPTH = 8


def _folder() -> Path:
    return Path(str(resources.files("kizuki.simulate")))


def default_config_path() -> Path:
    """Where the shipped default company config lives."""
    return _folder() / f"default{_SUFFIX}"


def named_configs() -> dict[str, Path]:
    """The shipped configs by name (``default``, ``hard``, …)."""
    return {
        p.name.removesuffix(_SUFFIX): p
        for p in sorted(_folder().glob(f"*{_SUFFIX}"))
        if p.is_file()
    }


def _resolve(path: Path | str, relative_to: Path | None = None) -> Path:
    """A YAML path, or the file of a shipped config's name."""
    candidate = Path(path)
    if relative_to is not None and not candidate.is_absolute():
        candidate = relative_to / candidate
    if candidate.is_file():
        return candidate
    names = named_configs()
    if _NAME.match(str(path)) and str(path) in names:
        return names[str(path)]
    raise NotFoundError(
        f"simulator config {path} does not exist; pass an existing YAML or the name of a "
        f"shipped config ({', '.join(names)})"
    )


def _read(source: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"simulator config {source} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"simulator config {source}: expected a mapping, got {raw!r:.80}")
    return raw


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_config(path: Path | None) -> tuple[Path, dict[str, Any]]:
    """The file a config path or name means, and its raw mapping with ``inherits`` resolved."""
    source = _resolve(path if path is not None else "default")
    raw = _read(source)
    chain = [source]
    while "inherits" in raw:
        parent_name = raw.pop("inherits")
        if not isinstance(parent_name, str) or not parent_name:
            raise ConfigError(
                f"simulator config {chain[-1]}: inherits: got {parent_name!r}, expected the "
                f"name of a shipped config ({', '.join(named_configs())}) or a YAML path"
            )
        parent = _resolve(parent_name, chain[-1].parent)
        if parent in chain or len(chain) >= _MAX_DEPTH:
            names = " -> ".join(str(p) for p in [*chain, parent])
            raise ConfigError(
                f"simulator config {source}: inherits goes round in a circle: {names}"
            )
        chain.append(parent)
        parent_raw = _read(parent)
        more = parent_raw.pop("inherits", None)
        raw = _merge(parent_raw, raw)
        if more is not None:
            raw["inherits"] = more
    return source, raw
