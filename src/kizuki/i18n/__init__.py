"""Message catalogs: every user-facing string, in Japanese and English.

The catalogs are flat JSON objects (``ja.json``, ``en.json``) from a dotted key to a message
that may hold ``str.format`` fields. Both catalogs have the same keys (a test checks it).

Examples
--------
>>> translate("report.title", "en")
'Kizuki report'
>>> translate("quarantine.total", "ja", n="1,200")
'合計 1,200 行'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from kizuki.errors import ConfigError

__all__ = ["LANGUAGES", "Translate", "catalog", "check_language", "translate", "translator"]

#: Supported languages; the first is the default.
LANGUAGES: tuple[str, ...] = ("ja", "en")

#: ``t(key, **fields) -> str``, a :func:`translate` bound to one language.
Translate = Callable[..., str]


def check_language(lang: str) -> str:
    """Return ``lang`` if it is supported; raise ConfigError naming the supported ones."""
    if lang not in LANGUAGES:
        raise ConfigError(f"language {lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return lang


@cache
def catalog(lang: str) -> Mapping[str, str]:
    """The whole catalog of ``lang`` (key -> message template)."""
    check_language(lang)
    text = resources.files(__name__).joinpath(f"{lang}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def translate(key: str, lang: str, **fields: Any) -> str:
    """The message ``key`` in ``lang``, with ``fields`` filled in.

    Raises KeyError when the key is in no catalog (a bug: add it to both ``ja.json`` and
    ``en.json``) and ConfigError for an unsupported language.
    """
    messages = catalog(lang)
    try:
        template = messages[key]
    except KeyError:
        raise KeyError(f"message {key!r} is missing from the {lang} catalog") from None
    return template.format(**fields) if fields else template


def translator(lang: str) -> Translate:
    """:func:`translate` bound to ``lang`` (checked now, not at the first message)."""
    check_language(lang)

    def t(key: str, **fields: Any) -> str:
        return translate(key, lang, **fields)

    return t
