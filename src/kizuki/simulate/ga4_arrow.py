"""Turn an :class:`~kizuki.simulate.sessions.EventBatch` into GA4 BigQuery-export rows (Arrow).

Nested ``event_params`` and ``user_properties`` are built directly as Arrow arrays from
offsets: every parameter is placed by arithmetic on per-event counts, and text columns are
dictionary arrays over one small vocabulary, so no per-event Python object is created. The
Parquet file stores plain strings (the dictionary encoding is Parquet's own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from kizuki.simulate.catalog import LANGS, Catalog
from kizuki.simulate.clock import DAY_US, JST_US, Clock
from kizuki.simulate.config import SimConfig
from kizuki.simulate.identity import device_slots
from kizuki.simulate.population import Population, customer_ids
from kizuki.simulate.sessions import EventBatch, event_names

__all__ = ["GA4_SCHEMA", "Ga4Vocab", "build_ga4_table"]

_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
_UP_VALUE = pa.struct([*_VALUE, ("set_timestamp_micros", pa.int64())])

#: The documented GA4 export schema (docs/data-formats.md) as the Parquet file stores it.
GA4_SCHEMA = pa.schema(
    [
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)]))),
        ("event_bundle_sequence_id", pa.int64()),
        ("batch_event_index", pa.int64()),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        (
            "user_properties",
            pa.list_(pa.struct([("key", pa.string()), ("value", _UP_VALUE)])),
        ),
        (
            "device",
            pa.struct(
                [
                    ("category", pa.string()),
                    ("operating_system", pa.string()),
                    ("language", pa.string()),
                    ("web_info", pa.struct([("browser", pa.string())])),
                ]
            ),
        ),
        ("geo", pa.struct([("country", pa.string())])),
        ("platform", pa.string()),
    ]
)

_PARAM_KEYS = (
    "ga_session_id",
    "ga_session_number",
    "page_location",
    "page_title",
    "page_referrer",
    "engagement_time_msec",
    "search_term",
    "results_count",
    "language",
    "content_id",
    "error_message",
)
_REFERRERS = (
    "https://www.google.com/",
    "https://search.yahoo.co.jp/",
    "https://www.bing.com/",
    "https://t.co/",
    "https://note.com/",
)
_DEVICES = ("desktop", "mobile", "tablet")
_BROWSERS = ("Chrome", "Safari", "Edge", "Firefox")
_OS = ("Windows", "Macintosh", "Linux", "Android", "iOS")
_OS_OF = np.array([[0, 1, 0, 2], [3, 4, 3, 3], [3, 4, 4, 3]], dtype=np.int8)  # device x browser
_DEVICE_LANG = ("ja-jp", "en-us")
_COUNTRIES = ("Japan", "United States", "Singapore")


@dataclass(frozen=True)
class Ga4Vocab:
    """All strings the GA4 rows can hold, with the offsets of each group."""

    strings: pa.Array
    url_off: int
    title_of: NDArray[np.int32]  # (location, language) -> string index
    term_off: int
    content_off: int
    error_off: int
    lang_off: int
    ref_off: int
    event_names: pa.Array
    dates: pa.Array
    day0: int


def build_vocab(cfg: SimConfig, cat: Catalog, clock: Clock) -> Ga4Vocab:
    """Every URL, title, term and message, in one string array."""
    strings: list[str] = []
    help_ja, help_en = "ヘルプセンター", "Help Center"
    name_ja, name_en = cfg.company.name_ja, cfg.company.name_en
    urls = [cat.site_url + p for p in cat.page_paths]
    titles = [t for pair in cat.page_titles for t in pair]
    n_pages = len(urls)
    title_of = [[2 * i, 2 * i + 1] for i in range(n_pages)]
    for c_i, c in enumerate(cfg.content):
        for lang in (0, 1):
            urls.append(cat.faq_url(c_i, lang))
            title = c.title_ja if lang == 0 else c.title_en
            suffix = f"{help_ja} | {name_ja}" if lang == 0 else f"{help_en} | {name_en}"
            title_of.append([len(titles)] * 2)
            titles.append(f"{title} | {suffix}")
    for t_i, term in enumerate(cat.search_terms):
        urls.append(cat.search_url(t_i))
        if cat.search_lang[t_i] == 0:
            titles.append(f"「{term}」の検索結果 | {help_ja}")
        else:
            titles.append(f"Search results for “{term}” | {help_en}")
        title_of.append([len(titles) - 1] * 2)
    strings.extend(urls)
    title_base = len(strings)
    strings.extend(titles)
    term_off = len(strings)
    strings.extend(cat.search_terms)
    content_off = len(strings)
    strings.extend(f"{c}-{lang}" for c in cat.content_ids for lang in LANGS)
    error_off = len(strings)
    strings.extend(cat.error_messages)
    lang_off = len(strings)
    strings.extend(LANGS)
    ref_off = len(strings)
    strings.extend(_REFERRERS)
    day0 = clock.start_us + JST_US
    first = clock.start_date - dt.timedelta(days=1)
    dates = [(first + dt.timedelta(days=i)).strftime("%Y%m%d") for i in range(clock.n_days + 3)]
    return Ga4Vocab(
        strings=pa.array(strings, type=pa.string()),
        url_off=0,
        title_of=np.array(title_of, dtype=np.int32) + title_base,
        term_off=term_off,
        content_off=content_off,
        error_off=error_off,
        lang_off=lang_off,
        ref_off=ref_off,
        event_names=pa.array(event_names(cat), type=pa.string()),
        dates=pa.array(dates, type=pa.string()),
        day0=day0 // DAY_US - 1,
    )


def _dict(
    indices: NDArray[np.integer], dictionary: pa.Array, mask: NDArray[np.bool_] | None = None
) -> pa.Array:
    # indices are in range by construction: skip Arrow's bounds check
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=mask), dictionary, safe=False)


_NULLS: dict[pa.DataType, pa.Array] = {}


def _nulls(n: int, type_: pa.DataType) -> pa.Array:
    """An all-null array, sliced from a cached one (allocating fresh ones is slow)."""
    cached = _NULLS.get(type_)
    if cached is None or len(cached) < n:
        cached = pa.nulls(max(n, 1 << 22), type_)
        _NULLS[type_] = cached
    return cached.slice(0, n)


def _event_params(b: EventBatch, v: Ga4Vocab) -> pa.Array:
    n = len(b)
    always: list[tuple[bool, NDArray[np.int64] | NDArray[np.int32]]] = [
        (False, b.session_id),
        (False, b.session_number),
        (True, v.url_off + b.loc),
        (True, v.title_of[b.loc, b.lang]),
    ]
    has_term = b.term >= 0
    optional: list[tuple[bool, NDArray[np.bool_], NDArray[np.int64] | NDArray[np.int32]]] = [
        (True, b.referrer >= 0, v.ref_off + b.referrer.astype(np.int32)),
        (False, b.engagement_ms >= 0, b.engagement_ms),
        (True, has_term, v.term_off + b.term),
        (False, has_term, b.results),
        (True, has_term, v.lang_off + b.lang.astype(np.int32)),
        (True, b.content >= 0, v.content_off + 2 * b.content + b.lang.astype(np.int32)),
        (True, b.error >= 0, v.error_off + b.error),
    ]
    counts = np.full(n, len(always), dtype=np.int64)
    for _, mask, _ in optional:
        counts += mask
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    key = np.empty(total, dtype=np.int8)
    sval = np.full(total, -1, dtype=np.int32)
    ival = np.zeros(total, dtype=np.int64)
    ivalid = np.zeros(total, dtype=np.bool_)
    base = offsets[:-1]
    for k, (is_str, values) in enumerate(always):
        pos = base + k
        key[pos] = k
        if is_str:
            sval[pos] = values
        else:
            ival[pos] = values
            ivalid[pos] = True
    running = np.full(n, len(always), dtype=np.int64)
    for k, (is_str, mask, values) in enumerate(optional, start=len(always)):
        idx = np.flatnonzero(mask)
        pos = base[idx] + running[idx]
        running[idx] += 1
        key[pos] = k
        if is_str:
            sval[pos] = values[idx]
        else:
            ival[pos] = values[idx]
            ivalid[pos] = True
    null_f = _nulls(total, pa.float64())
    value = pa.StructArray.from_arrays(
        [_dict(sval, v.strings, sval < 0), pa.array(ival, mask=~ivalid), null_f, null_f],
        names=[f.name for f in _VALUE],
    )
    element = pa.StructArray.from_arrays(
        [_dict(key, pa.array(_PARAM_KEYS)), value], names=["key", "value"]
    )
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), element)


def _user_properties(b: EventBatch, v: Ga4Vocab, pop: Population) -> pa.Array:
    """One user property, ``language``, set when the visitor first chose it."""
    n = len(b)
    cust = np.minimum(b.ent, pop.n_customers - 1)
    stamp = np.where(b.ent < pop.n_customers, pop.created_us[cust], pop.pseudo_b[b.ent] * 1_000_000)
    null_i = _nulls(n, pa.int64())
    null_f = _nulls(n, pa.float64())
    value = pa.StructArray.from_arrays(
        [
            _dict(v.lang_off + b.lang.astype(np.int32), v.strings),
            null_i,
            null_f,
            null_f,
            pa.array(stamp),
        ],
        names=[f.name for f in _UP_VALUE],
    )
    element = pa.StructArray.from_arrays(
        [_dict(np.zeros(n, dtype=np.int8), pa.array(["language"])), value], names=["key", "value"]
    )
    return pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), element)


def build_ga4_table(b: EventBatch, v: Ga4Vocab, pop: Population) -> pa.Table:
    """The GA4 export rows of one chunk, as an Arrow table with dictionary-coded text."""
    c = b.chunk
    n_c = c.c1 - c.c0
    local = np.where(b.ent < pop.n_customers, b.ent - c.c0, n_c + b.ent - pop.n_customers - c.p0)
    ents = np.concatenate([np.arange(c.c0, c.c1), pop.n_customers + np.arange(c.p0, c.p1)]).astype(
        np.int64
    )
    # a device slot per entity (and per second device): its pseudo id, category and browser
    slots = device_slots(b, pop, local, ents)
    slot, s_ent = slots.slot, slots.entity
    pseudo = pa.array(slots.pseudo)
    cust = pa.array(customer_ids(c.c0, c.c1))
    user_local = np.minimum(local, max(n_c - 1, 0))
    dev = slots.device
    os_code = _OS_OF[dev, slots.browser % 4]
    country = np.where(
        pop.lang[s_ent] == 0,
        0,
        np.where(pop.pseudo_a[s_ent] % 10 < 6, 0, 1 + pop.pseudo_a[s_ent] % 2),
    )
    day = ((b.ts + JST_US) // DAY_US - v.day0).astype(np.int32)
    device = pa.StructArray.from_arrays(
        [
            _dict(dev[slot], pa.array(_DEVICES)),
            _dict(os_code[slot], pa.array(_OS)),
            _dict(b.lang, pa.array(_DEVICE_LANG)),
            pa.StructArray.from_arrays(
                [_dict(slots.browser[slot], pa.array(_BROWSERS))], names=["browser"]
            ),
        ],
        names=["category", "operating_system", "language", "web_info"],
    )
    geo = pa.StructArray.from_arrays(
        [_dict(country[slot], pa.array(_COUNTRIES))], names=["country"]
    )
    return pa.table(
        {
            "event_date": _dict(day, v.dates),
            "event_timestamp": pa.array(b.ts),
            "event_name": _dict(b.name, v.event_names),
            "event_params": _event_params(b, v),
            "event_bundle_sequence_id": pa.array(b.session_number),
            "batch_event_index": pa.array(b.event_index),
            "user_id": _dict(user_local.astype(np.int32), cust, ~b.logged_in),
            "user_pseudo_id": _dict(slot.astype(np.int32), pseudo),
            "user_properties": _user_properties(b, v, pop),
            "device": device,
            "geo": geo,
            "platform": _dict(np.zeros(len(b), dtype=np.int8), pa.array(["WEB"])),
        }
    )
