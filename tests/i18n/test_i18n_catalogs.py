"""The message catalogs: same keys in every language, fields that match, errors that help."""

from __future__ import annotations

import re
import string

import pytest

from kizuki.errors import ConfigError
from kizuki.i18n import LANGUAGES, catalog, translate, translator


def fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_every_language_has_the_same_keys() -> None:
    keys = {lang: set(catalog(lang)) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert keys[lang] == keys["ja"], f"{lang} differs: {keys[lang] ^ keys['ja']}"


@pytest.mark.parametrize("key", sorted(catalog("ja")))
def test_every_message_has_the_same_fields_in_every_language(key: str) -> None:
    assert fields(catalog("ja")[key]) == fields(catalog("en")[key])
    assert all(catalog(lang)[key].strip() for lang in LANGUAGES)


def test_japanese_messages_are_japanese() -> None:
    kana_or_kanji = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    ja = catalog("ja")
    # every ja message but brand-only and punctuation-only ones holds Japanese script
    exempt = {"report.title", "list.separator"}
    assert [k for k, v in ja.items() if not kana_or_kanji.search(v) and k not in exempt] == []


def test_translate_fills_fields() -> None:
    assert translate("quarantine.total", "ja", n="1,200") == "合計 1,200 行"
    assert translate("quarantine.total", "en", n="1,200") == "1,200 rows in all"
    assert translator("en")("report.title") == "Kizuki report"


def test_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="language 'de' is not supported"):
        translator("de")


def test_missing_key_names_the_key_and_catalog() -> None:
    with pytest.raises(KeyError, match=r"'no\.such\.key' is missing from the en catalog"):
        translate("no.such.key", "en")
