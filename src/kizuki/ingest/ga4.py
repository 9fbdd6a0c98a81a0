"""GA4 BigQuery export rows (Parquet or NDJSON) → ``events`` and ``searches``.

The mapping follows docs/data-formats.md: ``event_id`` is the first 20 hex digits (80 bits) of
``md5(user_pseudo_id|event_timestamp|event_name|event_bundle_sequence_id|batch_event_index)``
(missing parts as empty text); ``session_id`` is ``user_pseudo_id.ga_session_id``;
``page_path`` is the path of ``page_location`` (no host, query or fragment); parameters other
than ``ga_session_id``, ``page_location``, ``page_title``, ``page_referrer`` and ``search_term``
are kept in ``properties`` as a JSON object. Each ``view_search_results`` event with a
``search_term`` also becomes a ``searches`` row (``search_id`` = its ``event_id``, the query
redacted). Rows are quarantined when ``event_timestamp`` is missing or not microseconds between
2000 and 2100, when ``user_pseudo_id`` or ``event_name`` is missing, or when an NDJSON line is
not valid JSON. All of it runs as DuckDB SQL over Arrow chunks.

Since ``event_id`` includes the timestamp, duplicate look-ups only scan the stored events in
the chunk's time range.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kizuki.errors import IngestError
from kizuki.ingest.connector import LINE_RAW, Chunk, Derived, Resume, line_chunks, packed_raw
from kizuki.ingest.tabular import _parquet_chunks
from kizuki.ingest.validate import ident
from kizuki.schema import TABLES

__all__ = ["GA4Connector"]

_VALUE = (
    '{"string_value":"VARCHAR","int_value":"BIGINT","float_value":"DOUBLE","double_value":"DOUBLE"}'
)
_JSON_TYPE = (
    '{"event_timestamp":"BIGINT","event_name":"VARCHAR",'
    f'"event_params":[{{"key":"VARCHAR","value":{_VALUE}}}],'
    '"event_bundle_sequence_id":"BIGINT","batch_event_index":"BIGINT","user_id":"VARCHAR",'
    f'"user_pseudo_id":"VARCHAR","user_properties":[{{"key":"VARCHAR","value":{_VALUE}}}],'
    '"device":{"category":"VARCHAR","language":"VARCHAR"}}'
)
_JSON_COLUMNS = (
    "event_timestamp",
    "event_name",
    "event_params",
    "event_bundle_sequence_id",
    "batch_event_index",
    "user_id",
    "user_pseudo_id",
    "user_properties",
    "device",
)
_VALUE_FIELDS = ("string_value", "int_value", "float_value", "double_value")
_MAPPED = ("ga_session_id", "page_location", "page_title", "page_referrer", "search_term")
_REQUIRED = ("event_timestamp", "event_name", "user_pseudo_id")
_MIN_US, _MAX_US = 946_684_800_000_000, 4_102_444_800_000_000  # 2000-01-01, 2100-01-01


def _value_fields(t: pa.DataType | None) -> tuple[str, ...]:
    """The value fields present in a GA4 ``ARRAY<STRUCT<key, value STRUCT<…>>>`` type."""
    if t is None or not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return ()
    item = t.value_type
    if not pa.types.is_struct(item) or item.get_field_index("value") < 0:
        return ()
    value = item.field("value").type
    return tuple(
        f for f in _VALUE_FIELDS if pa.types.is_struct(value) and value.get_field_index(f) >= 0
    )


def _struct_fields(t: pa.DataType | None) -> tuple[str, ...]:
    if t is None or not pa.types.is_struct(t):
        return ()
    return tuple(t.field(i).name for i in range(t.num_fields))


class GA4Connector:
    """GA4 export rows as Parquet (``.parquet``) or newline-delimited JSON (anything else)."""

    source = "ga4"
    target = "events"
    ignored_columns: tuple[str, ...] = ()
    prune_column: str | None = "ts"

    def __init__(self, path: Path, *, batch_rows: int) -> None:
        self.path = path
        self.batch_rows = batch_rows
        self.parquet = path.suffix.lower() in (".parquet", ".pq")
        self.total_rows: int | None = None
        if self.parquet:
            pf = pq.ParquetFile(path)
            self.total_rows = pf.metadata.num_rows
            schema = pf.schema_arrow
            missing = [c for c in _REQUIRED if c not in schema.names]
            if missing:
                raise IngestError(
                    f"{path.name} is not a GA4 export: columns {', '.join(missing)} are missing; "
                    f"columns found: {', '.join(schema.names)}"
                )
        self.derived: tuple[Derived, ...] = (Derived("searches", _SEARCHES),)

    def chunks(self, resume: Resume) -> Iterator[Chunk]:
        if self.parquet:
            return _parquet_chunks(self.path, self.batch_rows, resume)
        return line_chunks(self.path, self.batch_rows, resume)

    def raw_sql(self, schema: pa.Schema) -> str:
        return packed_raw(schema) if self.parquet else LINE_RAW

    def stage_sql(self, relation: str, schema: pa.Schema) -> str:
        if self.parquet:
            types = {f.name: f.type for f in schema}
            cols = ", ".join(
                f"{ident(c) if c in types else 'NULL'} AS {ident(c)}" for c in _JSON_COLUMNS
            )
            base = f"(SELECT _row, {cols} FROM {relation})"
            params = _value_fields(types.get("event_params"))
            uprops = _value_fields(types.get("user_properties"))
            device = _struct_fields(types.get("device"))
            pre = None
        else:
            # Each line is parsed twice, not three times: checked once, then read if valid.
            base = (
                f"(SELECT _row, __ok, j.* FROM (SELECT _row, __ok, CASE WHEN __ok THEN "
                f"from_json(_line, '{_JSON_TYPE}') END AS j FROM (SELECT _row, _line, "
                f"json_valid(_line) AS __ok FROM {relation})))"
            )
            params = uprops = _VALUE_FIELDS
            device = ("category", "language")
            pre = "CASE WHEN NOT __ok THEN 'line is not valid JSON' END"
        return _stage(base, params, uprops, device, pre)


def _param(values: tuple[str, ...], key: str, field: str) -> str:
    """One event parameter's ``field`` (NULL when absent or the export lacks that field)."""
    if field not in values:
        return "NULL"
    return f"event_params[list_position(__k, '{key}')].value.{field}"


#: the path of a URL: what follows ``scheme://host``, up to ``?`` or ``#``
_PATH_RE = "'^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)'"


def _page_path_steps(loc: str) -> tuple[str, str, str]:
    """Three projections, each over the previous, that end in ``__path`` from ``loc``.

    ``http(s)://host/path`` (nearly every GA4 ``page_location``) is cut with string functions,
    cheaper than the regular expression that the other forms go through (docs/benchmarks.md,
    GA4 ingest); both give the same
    path, ``/`` when it is empty. The web case comes first in a ``coalesce`` (a ``CASE`` over
    text costs DuckDB a copy of every value).
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


#: ``event_timestamp`` is a time this pipeline accepts
_TS_OK = f"event_timestamp BETWEEN {_MIN_US} AND {_MAX_US - 1}"

#: why a row is quarantined (NULL for a good row). These are the only ways a GA4 row fails:
#: ``event_id`` is never NULL, ``ts`` is NULL only when ``_TS_OK`` fails, a present
#: ``user_pseudo_id`` sets ``anonymous_id``, and blank names are caught here.
_REASON = (
    "CASE WHEN event_timestamp IS NULL THEN 'event_timestamp is missing or not an integer' "
    f"WHEN NOT ({_TS_OK}) THEN 'event_timestamp ' || event_timestamp || ' is not microseconds "
    "since the epoch between 2000 and 2100' "
    "WHEN nullif(trim(user_pseudo_id), '') IS NULL THEN 'user_pseudo_id is missing' "
    "WHEN nullif(trim(event_name), '') IS NULL THEN 'event_name is missing' END"
)

#: the natural key that ``event_id`` is the md5 of (missing parts as empty text)
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


def _properties(params: tuple[str, ...]) -> str:
    """The JSON object of the parameters not mapped to columns, in their order."""
    json_values = [
        f"to_json(x.value.{f})"
        for f in ("string_value", "int_value", "double_value", "float_value")
        if f in params
    ]
    value_json = ", ".join([*json_values, "'null'"])
    kept = " AND ".join(f"x.key <> '{k}'" for k in _MAPPED)
    return (
        f"coalesce('{{' || array_to_string(list_transform(list_filter(event_params, "
        f"lambda x: {kept}), lambda x: to_json(x.key) || ':' || coalesce({value_json})), ',') "
        "|| '}', '{}')"
    )


def _stage(
    base: str,
    params: tuple[str, ...],
    uprops: tuple[str, ...],
    device: tuple[str, ...],
    pre: str | None,
) -> str:
    """The staging SELECT: ``_row``, the ``events`` columns, the search extras, ``_reason``.

    Written out for GA4 rather than through :func:`kizuki.ingest.validate.stage_sql`: every
    column is computed by the connector, and the reason depends only on three source columns.
    """
    sid = (
        f"coalesce({_param(params, 'ga_session_id', 'int_value')}::VARCHAR, "
        f"{_param(params, 'ga_session_id', 'string_value')})"
    )
    lang = [f"nullif({_param(params, 'language', 'string_value')}, '')"]
    if "string_value" in uprops:
        lang.append(
            "nullif(user_properties[list_position(list_transform(user_properties, "
            "lambda x: x.key), 'language')].value.string_value, '')"
        )
    if "language" in device:
        lang.append("nullif(device.language, '')")
    count_int = _param(params, "results_count", "int_value")
    count_text = _param(params, "results_count", "string_value")
    results = f"coalesce({count_int}, TRY_CAST({count_text} AS BIGINT))"
    loc = _param(params, "page_location", "string_value")
    path_base, path_web, path = _page_path_steps("__loc")
    from_sql = (
        f"(SELECT *, {path_web} FROM (SELECT *, {path_base} FROM "
        f"(SELECT *, {loc} AS __loc FROM "
        f"(SELECT *, list_transform(event_params, lambda x: x.key) AS __k FROM {base}))))"
    )
    search = "event_name = 'view_search_results'"
    reason = f"coalesce({pre}, {_REASON})" if pre else _REASON
    columns = {
        "event_id": f"left(md5({_KEY}), 20)",
        "ts": f"CASE WHEN {_TS_OK} THEN timezone('UTC', make_timestamp(event_timestamp)) END",
        "customer_id": "nullif(user_id, '')",
        "anonymous_id": "nullif(user_pseudo_id, '')",
        "session_id": f"nullif(user_pseudo_id, '') || '.' || {sid}",
        "event_name": "nullif(event_name, '')",
        "page_path": path.removesuffix(" AS __path"),
        "page_title": _param(params, "page_title", "string_value"),
        "referrer": _param(params, "page_referrer", "string_value"),
        "device": "device.category" if "category" in device else "NULL",
        "properties": _properties(params),
        # Only searches need these: worked out for view_search_results events alone.
        "_search_term": f"CASE WHEN {search} THEN "
        f"{_param(params, 'search_term', 'string_value')} END",
        "_language": f"CASE WHEN {search} THEN coalesce({', '.join(lang)}) END",
        "_results_count": f"CASE WHEN {search} THEN {results} END",
        "_reason": reason,
    }
    types = {c.name: _DUCK_TYPES[c.type] for c in TABLES["events"].columns}
    out = ", ".join(
        f"({sql})::{types[name]} AS {ident(name)}" if name in types else f"{sql} AS {name}"
        for name, sql in columns.items()
    )
    return f"SELECT _row, {out} FROM {from_sql}"


_DUCK_TYPES = {"string": "VARCHAR", "json": "VARCHAR", "timestamp": "TIMESTAMPTZ"}


_SEARCHES = (
    "SELECT _row, event_id AS search_id, ts, customer_id, anonymous_id, session_id, "
    "_search_term AS query, _language AS language, "
    "CASE WHEN _results_count >= 0 THEN _results_count END AS results_count, "
    "NULL::VARCHAR AS clicked_content_id FROM _kz_stage WHERE _reason IS NULL "
    "AND event_name = 'view_search_results' AND trim(_search_term) <> ''"
)
