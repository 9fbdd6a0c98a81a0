"""The staging SQL of GA4 rows: one SELECT over a file's normalised columns (see
:mod:`kizuki.ingest.ga4_shape`) that gives ``_row``, the ``events`` columns, the search extras
and ``_reason``."""

from __future__ import annotations

from kizuki.ingest.ga4_shape import VALUE_TYPES, Params, Shape
from kizuki.ingest.validate import ident
from kizuki.schema import TABLES

__all__ = ["MAPPED", "SEARCHES", "TS_OK", "stage_sql"]

#: parameters that become columns (and stay out of ``events.properties``)
MAPPED = ("ga_session_id", "page_location", "page_title", "page_referrer", "search_term")
_MIN_US, _MAX_US = 946_684_800_000_000, 4_102_444_800_000_000  # 2000-01-01, 2100-01-01

#: ``event_timestamp`` is a time this pipeline accepts
TS_OK = f"event_timestamp BETWEEN {_MIN_US} AND {_MAX_US - 1}"

#: why a row is quarantined (NULL for a good row): every problem, joined with ``; ``. These
#: are the only ways a GA4 row fails: ``event_id`` is never NULL, ``ts`` is NULL only when
#: ``TS_OK`` fails, a present ``user_pseudo_id`` sets ``anonymous_id``, and blank names are
#: caught here.
_REASON = (
    "nullif(concat_ws('; ', "
    "CASE WHEN event_timestamp IS NULL THEN 'event_timestamp is missing or not an integer' "
    f"WHEN NOT ({TS_OK}) THEN 'event_timestamp ' || event_timestamp || ' is not microseconds "
    "since the epoch between 2000 and 2100' END, "
    "CASE WHEN nullif(trim(user_pseudo_id), '') IS NULL THEN 'user_pseudo_id is missing' END, "
    "CASE WHEN nullif(trim(event_name), '') IS NULL THEN 'event_name is missing' END), '')"
)

#: the natural key that ``event_id`` is the md5 of (missing parts as empty text). The parts are
#: read as integers first, so ``"7"`` (NDJSON), ``7`` and ``7.0`` (pandas) give the same id.
_KEY = "concat_ws('|', {})".format(
    ", ".join(
        f"coalesce({c}::VARCHAR, '')"
        for c in (
            "user_pseudo_id",
            "event_timestamp",
            "event_name",
            "event_bundle_sequence_id",
            "batch_event_index",
        )
    )
)

#: the path of a URL: what follows ``scheme://host``, up to ``?`` or ``#``
_PATH_RE = "'^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)'"

_DUCK_TYPES = {"string": "VARCHAR", "json": "VARCHAR", "timestamp": "TIMESTAMPTZ"}

SEARCHES = (
    "SELECT _row, event_id AS search_id, ts, customer_id, anonymous_id, session_id, "
    "_search_term AS query, _language AS language, "
    "CASE WHEN _results_count >= 0 THEN _results_count END AS results_count, "
    "NULL::VARCHAR AS clicked_content_id FROM _kz_stage WHERE _reason IS NULL "
    "AND event_name = 'view_search_results' AND trim(_search_term) <> ''"
)


def _page_path_steps(loc: str) -> tuple[str, str, str]:
    """Three projections, each over the previous, that end in ``__path`` from ``loc``.

    ``http(s)://host/path`` (nearly every GA4 ``page_location``) is cut with string functions,
    cheaper than the regular expression that the other forms go through (docs/benchmarks.md,
    GA4 ingest); both give the same path, ``/`` when it is empty. The web case comes first in a
    ``coalesce`` (a ``CASE`` over text costs DuckDB a copy of every value).
    """
    cut = f"least(nullif(strpos({loc}, '?'), 0), nullif(strpos({loc}, '#'), 0))"
    base = (
        f"CASE WHEN contains({loc}, '?') OR contains({loc}, '#') THEN left({loc}, {cut} - 1) "
        f"ELSE {loc} END AS __b"
    )
    web = (
        "CASE WHEN starts_with(__b, 'https://') THEN 9 "
        "WHEN starts_with(__b, 'http://') THEN 8 END AS __w"
    )
    after_host = "substr(__b, __w - 1 + nullif(strpos(substr(__b, __w), '/'), 0))"
    path = (
        f"coalesce({after_host}, CASE WHEN __w IS NOT NULL THEN '/' WHEN __b IS NOT NULL "
        f"THEN coalesce(nullif(regexp_extract({loc}, {_PATH_RE}, 1), ''), '/') END) AS __path"
    )
    return base, web, path


class _Reader:
    """SQL that reads event parameters and user properties of one :class:`Shape`."""

    def __init__(self, shape: Shape) -> None:
        self.params = shape.params
        self.uprops = shape.uprops

    def param(self, key: str, slot: str) -> str:
        """One event parameter's value ``slot`` (NULL when absent)."""
        if self.params is None:
            return f"NULL::{VALUE_TYPES[slot]}"
        return self.params.value(f"event_params[list_position(__k, '{key}')]", slot)

    def keys(self) -> str:
        """The list of parameter keys (``__k``)."""
        if self.params is None:
            return "NULL::VARCHAR[]"
        return f"list_transform(event_params, lambda x: {self.params.key.format('x')})"

    def user_language(self) -> str | None:
        up: Params | None = self.uprops
        if up is None or "string_value" not in up.values:
            return None
        keys = f"list_transform(user_properties, lambda x: {up.key.format('x')})"
        item = f"user_properties[list_position({keys}, 'language')]"
        return f"nullif({up.value(item, 'string_value')}, '')"

    def properties(self) -> str:
        """The JSON object of the parameters not mapped to columns, in their order.

        Only the first of parameters with the same key is kept (as for the mapped ones), and
        parameters without a key are left out: the text is always one valid JSON object.
        """
        if self.params is None:
            return "'{}'"
        p = self.params
        values = [
            f"to_json({p.value('x', 'string_value')})",
            f"to_json({p.value('x', 'int_value')})",
            *(
                "to_json(CASE WHEN isfinite(__v) THEN __v END)".replace("__v", p.value("x", slot))
                for slot in ("double_value", "float_value")
                if slot in p.values
            ),
            "'null'",
        ]
        key = p.key.format("x")
        kept = " AND ".join(f"{key} <> '{k}'" for k in MAPPED)
        return (
            f"coalesce('{{' || array_to_string(list_transform(list_filter(event_params, "
            f"lambda x, i: {kept} AND list_position(__k, {key}) = i), "
            f"lambda x: to_json({key}) || ':' || coalesce({', '.join(values)})), ',') "
            "|| '}', '{}')"
        )


def _integer_text(value: str) -> str:
    """An integer-valued number as text (``1700.0`` → ``1700``), else NULL."""
    return f"CASE WHEN {value} = trunc({value}) THEN TRY_CAST({value} AS BIGINT)::VARCHAR END"


def stage_sql(shape: Shape, relation: str, *, json_lines: bool = False) -> str:
    """The staging SELECT over ``relation`` (Parquet columns, or ``_row, _line`` when
    ``json_lines``, each line parsed by ``from_json`` into ``shape``'s columns)."""
    if json_lines:
        from kizuki.ingest.ga4_shape import JSON_TYPE

        # Each line is parsed twice, not three times: checked once, then read if valid.
        parsed = (
            f"(SELECT _row, __ok, _line, j.* FROM (SELECT _row, __ok, _line, CASE WHEN __ok "
            f"THEN from_json(_line, '{JSON_TYPE}') END AS j FROM (SELECT _row, _line, "
            f"json_valid(_line) AS __ok FROM {relation})))"
        )
        base = shape.base_sql(parsed, ", __ok, _line")
        pre: str | None = (
            "CASE WHEN NOT __ok THEN 'line is not valid JSON' WHEN event_timestamp IS NULL AND "
            "json_type(_line) <> 'OBJECT' THEN 'line is not a JSON object' END"
        )
    else:
        base = shape.base_sql(relation)
        pre = None
    r = _Reader(shape)
    sid = "coalesce({})".format(
        ", ".join(
            [
                f"{r.param('ga_session_id', 'int_value')}::VARCHAR",
                f"nullif(trim({r.param('ga_session_id', 'string_value')}), '')",
                _integer_text(r.param("ga_session_id", "double_value")),
                _integer_text(r.param("ga_session_id", "float_value")),
            ]
        )
    )
    lang = [f"nullif({r.param('language', 'string_value')}, '')"]
    user_lang = r.user_language()
    if user_lang:
        lang.append(user_lang)
    lang.append("nullif(__device_language, '')")
    count_int = r.param("results_count", "int_value")
    count_text = r.param("results_count", "string_value")
    results = f"coalesce({count_int}, TRY_CAST({count_text} AS BIGINT))"
    path_base, path_web, path = _page_path_steps("__loc")
    from_sql = (
        f"(SELECT *, {path_web} FROM (SELECT *, {path_base} FROM "
        f"(SELECT *, {r.param('page_location', 'string_value')} AS __loc FROM "
        f"(SELECT *, {r.keys()} AS __k FROM {base}))))"
    )
    search = "event_name = 'view_search_results'"
    reason = f"coalesce({pre}, {_REASON})" if pre else _REASON
    columns = {
        "event_id": f"left(md5({_KEY}), 20)",
        "ts": f"CASE WHEN {TS_OK} THEN timezone('UTC', make_timestamp(event_timestamp)) END",
        "customer_id": "nullif(user_id, '')",
        "anonymous_id": "nullif(user_pseudo_id, '')",
        "session_id": f"nullif(user_pseudo_id, '') || '.' || {sid}",
        "event_name": "nullif(event_name, '')",
        "page_path": path.removesuffix(" AS __path"),
        "page_title": r.param("page_title", "string_value"),
        "referrer": r.param("page_referrer", "string_value"),
        "device": "__device_category",
        "properties": r.properties(),
        # Only searches need these: worked out for view_search_results events alone.
        "_search_term": f"CASE WHEN {search} THEN {r.param('search_term', 'string_value')} END",
        "_language": f"CASE WHEN {search} THEN coalesce({', '.join(lang)}) END",
        "_results_count": f"CASE WHEN {search} THEN {results} END",
        "_reason": reason,
        "_naive": f"CASE WHEN __naive AND {TS_OK} THEN 1 ELSE 0 END",
    }
    types = {c.name: _DUCK_TYPES[c.type] for c in TABLES["events"].columns}
    out = ", ".join(
        f"({sql})::{types[name]} AS {ident(name)}" if name in types else f"{sql} AS {name}"
        for name, sql in columns.items()
    )
    return f"SELECT _row, {out} FROM {from_sql}"
