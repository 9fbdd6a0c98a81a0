"""What a GA4 export file's columns look like, and the SQL that reads each one as the type we need.

Real exports differ from the BigQuery schema in their types, not their meaning: a field that is
entirely null may be written as INT64, STRING or Arrow's null type; pandas writes nullable
integers as doubles; NDJSON holds INT64 values as quoted strings; a copy through DuckDB may turn
``event_params`` into a MAP. :func:`file_shape` looks at the columns as DuckDB reads them and
gives, for every field the connector uses, an SQL expression of the expected type: the column
itself when it already has that type (no extra work for a clean export), a ``TRY_CAST`` when
it has another scalar type, and a typed ``NULL`` when the field is absent. A field whose type
cannot be read (a list where a number belongs, say) is a typed ``NULL`` too, and is named, with
its type, in :attr:`Shape.ignored`. An ``event_timestamp`` written as ISO text without a UTC
offset, or as a TIMESTAMP without a time zone, is read in the ingest's time zone
(:attr:`Shape.naive` tells which rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from kizuki.ingest import timestamps
from kizuki.ingest.validate import ident, sql_literal

__all__ = [
    "JSON_SCHEMA",
    "JSON_SHAPE",
    "JSON_TYPE",
    "Params",
    "Shape",
    "convert",
    "file_shape",
    "type_name",
]

#: the scalar columns the connector reads, with the DuckDB type it reads them as
SCALARS = {
    "event_timestamp": "BIGINT",
    "event_name": "VARCHAR",
    "event_bundle_sequence_id": "BIGINT",
    "batch_event_index": "BIGINT",
    "user_id": "VARCHAR",
    "user_pseudo_id": "VARCHAR",
}
#: the value slots of a GA4 parameter, with the type each is read as
VALUE_TYPES = {
    "string_value": "VARCHAR",
    "int_value": "BIGINT",
    "float_value": "DOUBLE",
    "double_value": "DOUBLE",
}
#: ``device`` fields read (``device.category`` → ``events.device``; ``language`` for searches)
DEVICE_FIELDS = ("category", "language")


def type_name(t: pa.DataType) -> str:
    """A short name of an Arrow type for messages: ``list<struct<…>>``, ``int64``."""
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        inner = t.value_type
        return f"list<{'struct<…>' if pa.types.is_struct(inner) else type_name(inner)}>"
    if pa.types.is_struct(t):
        return "struct<…>"
    if pa.types.is_map(t):
        return "map<…>"
    return str(t)


def _nested(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_fixed_size_list(t)
        or pa.types.is_struct(t)
        or pa.types.is_map(t)
        or pa.types.is_union(t)
    )


def _text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _text(t.value_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def convert(expr: str, t: pa.DataType, want: str) -> str | None:
    """``expr`` (of Arrow type ``t`` as DuckDB reads it) as DuckDB type ``want``; None if it
    cannot be (a nested value where a scalar belongs, or a date where a number belongs)."""
    if pa.types.is_null(t):
        return f"NULL::{want}"
    if _nested(t):
        return None
    if want == "VARCHAR":
        return (
            expr if _text(t) and not pa.types.is_dictionary(t) else f"TRY_CAST({expr} AS VARCHAR)"
        )
    if pa.types.is_timestamp(t):
        return f"epoch_us({expr})" if want == "BIGINT" else None
    if not (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
        or _text(t)
    ):
        return None
    if want == "BIGINT" and pa.types.is_int64(t):
        return expr
    if want == "DOUBLE" and pa.types.is_float64(t):
        return expr
    return f"TRY_CAST({expr} AS {want})"


def _timestamp(expr: str, t: pa.DataType, zone: str) -> tuple[str | None, str]:
    """``event_timestamp`` as microseconds (integers, numeric text, ISO text or a TIMESTAMP;
    naive times in ``zone``), and SQL telling whether a row's value was naive."""
    if _text(t):
        iso = timestamps.cast_sql(expr, zone)
        naive = f"TRY_CAST({expr} AS BIGINT) IS NULL AND NOT ({timestamps.zoned_sql(expr)})"
        return f"coalesce(TRY_CAST({expr} AS BIGINT), epoch_us({iso}))", naive
    if pa.types.is_timestamp(t) and t.tz is None:
        return f"epoch_us(timezone({sql_literal(zone)}, {expr}))", f"{expr} IS NOT NULL"
    return convert(expr, t, "BIGINT"), "false"


@dataclass(frozen=True)
class Params:
    """A GA4 ``ARRAY<STRUCT<key, value STRUCT<…>>>`` column, as read by lambdas over its items.

    ``key`` and each of ``values`` are format strings: ``{}`` stands for one item.
    """

    source: str
    key: str = "{}.key"
    values: dict[str, str] = field(default_factory=dict)

    def value(self, item: str, name: str) -> str:
        """The value slot ``name`` of ``item`` as its expected type (NULL when absent)."""
        sql = self.values.get(name)
        return sql.format(item) if sql else f"NULL::{VALUE_TYPES[name]}"


def _params(name: str, t: pa.DataType, ignored: list[str]) -> Params | None:
    """How to read the parameter list column ``name`` of type ``t`` (None: not readable)."""
    if pa.types.is_null(t):
        return None
    if pa.types.is_map(t):
        source = f"map_entries({ident(name)})"
        item = pa.struct([("key", t.key_type), ("value", t.item_type)])
    elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        source = ident(name)
        item = t.value_type
    else:
        ignored.append(f"{name} ({type_name(t)})")
        return None
    if not pa.types.is_struct(item) or item.get_field_index("key") < 0:
        ignored.append(f"{name} ({type_name(t)})")
        return None
    key = convert("{}.key", item.field("key").type, "VARCHAR")
    if key is None:
        ignored.append(f"{name}.key ({type_name(item.field('key').type)})")
        return None
    values: dict[str, str] = {}
    vi = item.get_field_index("value")
    value_type = item.field(vi).type if vi >= 0 else pa.null()
    if pa.types.is_struct(value_type):
        for slot, want in VALUE_TYPES.items():
            i = value_type.get_field_index(slot)
            if i < 0:
                continue
            slot_type = value_type.field(i).type
            sql = convert(f"{{}}.value.{slot}", slot_type, want)
            if sql is None:
                ignored.append(f"{name}.value.{slot} ({type_name(slot_type)})")
            elif not pa.types.is_null(slot_type):
                values[slot] = sql
    elif not pa.types.is_null(value_type):
        ignored.append(f"{name}.value ({type_name(value_type)})")
    return Params(source, key, values)


@dataclass(frozen=True)
class Shape:
    """How to read one file: SQL per normalised column, and the fields that cannot be read."""

    scalars: dict[str, str]
    params: Params | None
    uprops: Params | None
    device: dict[str, str]
    ignored: tuple[str, ...] = ()
    #: SQL: whether the row's ``event_timestamp`` had no UTC offset (read in the time zone)
    naive: str = "false"

    def base_sql(self, relation: str, extra: str = "") -> str:
        """``_row`` and every normalised column, over ``relation``."""
        cols = [f"({sql}) AS {ident(name)}" for name, sql in self.scalars.items()]
        cols.append(f"{self.params.source if self.params else 'NULL'} AS event_params")
        cols.append(f"{self.uprops.source if self.uprops else 'NULL'} AS user_properties")
        for name in DEVICE_FIELDS:
            cols.append(f"({self.device.get(name, 'NULL::VARCHAR')}) AS __device_{name}")
        cols.append(f"coalesce({self.naive}, false) AS __naive")
        return f"(SELECT _row, {', '.join(cols)}{extra} FROM {relation})"


def file_shape(
    schema: pa.Schema, null_columns: frozenset[str] = frozenset(), timezone: str = "UTC"
) -> Shape:
    """The :class:`Shape` of a file whose columns DuckDB reads as ``schema``.

    ``null_columns`` are columns the file declares of Arrow's null type (which DuckDB reads as
    INTEGER): all null, so nothing is lost by not reading them. ``timezone`` is the IANA zone
    of ``event_timestamp`` values without a UTC offset.
    """
    types = {f.name: pa.null() if f.name in null_columns else f.type for f in schema}
    ignored: list[str] = []
    scalars: dict[str, str] = {}
    naive = "false"
    for name, want in SCALARS.items():
        t = types.get(name)
        sql = None
        if t is not None:
            col = ident(name)
            if name == "event_timestamp":
                sql, naive = _timestamp(col, t, timezone)
            else:
                sql = convert(col, t, want)
            if sql is None:
                ignored.append(f"{name} ({type_name(t)})")
        scalars[name] = sql or f"NULL::{want}"
    params = uprops = None
    if "event_params" in types:
        params = _params("event_params", types["event_params"], ignored)
    if "user_properties" in types:
        uprops = _params("user_properties", types["user_properties"], ignored)
    device: dict[str, str] = {}
    dt = types.get("device")
    if dt is not None and pa.types.is_struct(dt):
        for name in DEVICE_FIELDS:
            i = dt.get_field_index(name)
            if i < 0:
                continue
            sql = convert(f"device.{ident(name)}", dt.field(i).type, "VARCHAR")
            if sql is None:
                ignored.append(f"device.{name} ({type_name(dt.field(i).type)})")
            else:
                device[name] = sql
    elif dt is not None and not pa.types.is_null(dt):
        ignored.append(f"device ({type_name(dt)})")
    return Shape(scalars, params, uprops, device, tuple(ignored), naive)


#: the columns of a parsed NDJSON line (``from_json`` gives these types; see ``JSON_TYPE``)
_JSON_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
_JSON_PARAMS = pa.list_(pa.struct([("key", pa.string()), ("value", _JSON_VALUE)]))
JSON_SCHEMA = pa.schema(
    [
        ("event_timestamp", pa.string()),  # text: numbers, quoted numbers and ISO times
        ("event_name", pa.string()),
        ("event_params", _JSON_PARAMS),
        ("event_bundle_sequence_id", pa.int64()),
        ("batch_event_index", pa.int64()),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        ("user_properties", _JSON_PARAMS),
        ("device", pa.struct([("category", pa.string()), ("language", pa.string())])),
    ]
)
#: how every NDJSON file is read
JSON_SHAPE = file_shape(JSON_SCHEMA)
_VALUE_JSON = (
    '{"string_value":"VARCHAR","int_value":"BIGINT","float_value":"DOUBLE","double_value":"DOUBLE"}'
)
#: the ``from_json`` structure of an NDJSON line (the columns of ``JSON_SCHEMA``)
JSON_TYPE = (
    '{"event_timestamp":"VARCHAR","event_name":"VARCHAR",'
    f'"event_params":[{{"key":"VARCHAR","value":{_VALUE_JSON}}}],'
    '"event_bundle_sequence_id":"BIGINT","batch_event_index":"BIGINT","user_id":"VARCHAR",'
    f'"user_pseudo_id":"VARCHAR","user_properties":[{{"key":"VARCHAR","value":{_VALUE_JSON}}}],'
    '"device":{"category":"VARCHAR","language":"VARCHAR"}}'
)

#: the top-level fields of the export (2020–2025) and what the connector makes of each
KNOWN_FIELDS = {
    "event_date": "—",
    "event_timestamp": "events.ts",
    "event_name": "events.event_name",
    "event_params": "session_id, page_path, page_title, referrer, properties, searches",
    "event_previous_timestamp": "—",
    "event_value_in_usd": "—",
    "event_bundle_sequence_id": "events.event_id (key part)",
    "event_server_timestamp_offset": "—",
    "user_id": "events.customer_id",
    "user_pseudo_id": "events.anonymous_id",
    "privacy_info": "—",
    "user_properties": "searches.language (language property)",
    "user_first_touch_timestamp": "—",
    "user_ltv": "—",
    "device": "events.device (category), searches.language",
    "geo": "—",
    "app_info": "—",
    "traffic_source": "—",
    "stream_id": "—",
    "platform": "—",
    "event_dimensions": "—",
    "ecommerce": "—",
    "items": "—",
    "collected_traffic_source": "—",
    "is_active_user": "—",
    "batch_event_index": "events.event_id (key part)",
    "batch_page_id": "—",
    "batch_ordering_id": "—",
    "session_traffic_source_last_click": "—",
    "publisher": "—",
}
#: optional fields that later schema generations added, with about when they came
ADDED = {
    "privacy_info": 2021,
    "collected_traffic_source": 2023,
    "is_active_user": 2023,
    "batch_event_index": 2024,
    "batch_page_id": 2024,
    "batch_ordering_id": 2024,
    "session_traffic_source_last_click": 2024,
    "publisher": 2024,
}
