"""Quarantine reasons in the report's language.

Ingest stores each reason in English (``opened_at (column '作成日時') '2026/13/01 9:05' is not
a date (month 13)``; several in one row are joined with ``; ``), so that a reason means the
same thing whoever reads the table. The report shows it in its own language: every reason
Kizuki writes has a template in the i18n catalogs under ``reason.*``. The English template is
the pattern: its literal text is matched exactly, its fields (``{label}``, ``{value}``, ``{n}``,
…) take the row's column names, values and numbers, which the translation keeps as they are.
A reason grouped by kind (quoted values as ``'…'``, numbers as ``N``, see
:func:`kizuki.analytics.overview.reason_kind`) is matched too. A reason no template matches is
shown as stored.

The templates follow what writes them: :mod:`kizuki.ingest.validate` (missing, not a value of
the column's type, not one of the allowed values), :mod:`kizuki.ingest.timestamps` (why text
is not a timestamp), the tables' :class:`~kizuki.schema.Check` rules and the connectors' own
reasons (a malformed line, a wrong number of fields, GA4 and Zendesk records).
"""

from __future__ import annotations

import re
import string
from functools import cache

from kizuki.i18n import catalog

__all__ = ["REASON_PREFIX", "translate_reason", "translate_reason_part"]

#: Catalog keys of the reason templates start with this.
REASON_PREFIX = "reason."

#: What each field of a template matches.
_FIELDS = {
    # a canonical column, a connector's field path, or "column (column 'header')"
    "label": r"[^\s']+(?: \(column '[^']*'\))?",
    "field": r"[A-Za-z0-9_.]+",
    "other": r"[A-Za-z0-9_.]+",
    "value": r".*",
    "n": r"[0-9]+|N",
    "m": r"[0-9]+|N",
    "month": r"(?:[0-9]+|N)-(?:[0-9]+|N)",
    "allowed": r".+",
    "detail": r".+",
}

#: Where ``reason_kind`` masks a reason: numbers become N (quoted values are fields).
_NUMBER = re.compile(r"[0-9]+")

#: ``; `` between two reasons, not inside a quoted value (an even number of quotes follows).
_SEPARATOR = re.compile(r"; (?=(?:[^']*'[^']*')*[^']*$)")


def _literal(text: str) -> str:
    """``text`` as stored, or as ``reason_kind`` masks it."""
    exact, masked = re.escape(text), re.escape(_NUMBER.sub("N", text))
    return exact if exact == masked else f"(?:{exact}|{masked})"


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(catalog key, compiled English template) for every reason template."""
    out = []
    for key, template in catalog("en").items():
        if not key.startswith(REASON_PREFIX):
            continue
        regex = []
        for literal, name, _, _ in string.Formatter().parse(template):
            regex.append(_literal(literal))
            if name is not None:
                regex.append(f"(?P<{name}>{_FIELDS[name]})")
        out.append((key, re.compile("".join(regex))))
    return tuple(out)


def translate_reason_part(reason: str, lang: str) -> str | None:
    """One reason (no ``; ``) in ``lang``, or None when no template matches it."""
    for key, pattern in _patterns():
        found = pattern.fullmatch(reason)
        if found is not None:
            fields = found.groupdict()
            if fields.get("label"):
                fields["label"] = _label(fields["label"], lang)
            return catalog(lang)[key].format(**fields)
    return None


#: ``channel (column 'チャネル')``: a canonical column and the file's header it came from
_LABEL = re.compile(r"(?P<name>[^\s']+) \(column '(?P<column>[^']*)'\)")


def _label(label: str, lang: str) -> str:
    """A reason's column label in ``lang`` (``channel（列「チャネル」）`` in Japanese)."""
    found = _LABEL.fullmatch(label)
    if found is None:
        return label
    return catalog(lang)["reason_label.column"].format(**found.groupdict())


def translate_reason(reason: str | None, lang: str) -> str:
    """A stored quarantine reason (one, or several joined with ``; ``) in ``lang``; a part that
    no template matches stays in English.

    Examples
    --------
    >>> translate_reason("opened_at (column '作成日時') '2026/13/01 9:05' is not a date (month 13)",
    ...                  "ja")
    "opened_at（列「作成日時」） の '2026/13/01 9:05' は日付ではありません（13 月はありません）"
    >>> translate_reason("row has 2 fields, expected 7; an unknown reason", "ja")
    '行の項目が 2 個あります（7 個のはずです）; an unknown reason'
    """
    if not reason:
        return ""
    parts = _SEPARATOR.split(reason)
    return "; ".join(translate_reason_part(p, lang) or p for p in parts)
