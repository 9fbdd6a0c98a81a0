"""A small online shop's GA4 BigQuery export, built in code (a site Kizuki has never seen).

:func:`write_shop_export` writes a Parquet file in the GA4 export's shape (``event_params`` as
key/value structs, ``user_pseudo_id`` on every row, ``user_id`` only once a visitor has logged
in or signed up) for a shop with a home page, ``/collections/…``, ``/products/…``, ``/search``,
``/cart``, ``/checkouts/{information,shipping,payment,thank-you}``, ``/account/login``,
``/account/register``, ``/pages/faq`` and ``/pages/contact``. GA4's e-commerce events fire where
a real shop fires them: ``view_item_list`` on collections, ``view_item`` and ``add_to_cart`` on
products, ``view_cart`` on the cart, ``begin_checkout`` / ``add_payment_info`` / ``purchase``
in the checkout, ``view_search_results`` on the site search, ``login`` and ``sign_up`` on the
account pages.

The planted problem: for the visitors in ``trouble`` the card payment fails on
``/checkouts/payment``: an ``error`` event (``card declined (3-D Secure)``) and the page
reloaded two or three times within a minute; most of them give up, some read the FAQ first.
A few other errors (an image that fails on a product page) are the background.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["GA4_SCHEMA", "PAYMENT_PAGE", "ShopExport", "write_shop_export"]

HOST = "https://shop.example.jp"
PAYMENT_PAGE = "/checkouts/payment"
COLLECTIONS = ("tea", "teaware", "gifts", "sale")
PRODUCTS = ("sencha-100g", "matcha-30g", "hojicha-200g", "kyusu-teapot", "yunomi-cup", "gift-box")

_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
_PARAMS = pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)]))
GA4_SCHEMA = pa.schema(
    [
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        ("event_params", _PARAMS),
        ("event_bundle_sequence_id", pa.int64()),
        ("batch_event_index", pa.int64()),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        ("user_properties", _PARAMS),
        ("device", pa.struct([("category", pa.string()), ("language", pa.string())])),
        ("platform", pa.string()),
    ]
)


@dataclass
class ShopExport:
    """The file written and what was planted in it."""

    path: Path
    rows: int
    visitors: int
    #: user_pseudo_ids whose card payment failed on PAYMENT_PAGE
    trouble: set[str] = field(default_factory=set)
    purchases: int = 0


def _params(values: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, value in values.items():
        v: dict[str, Any] = dict.fromkeys(("string_value", "int_value", "float_value"))
        v["double_value"] = None
        if isinstance(value, str):
            v["string_value"] = value
        elif isinstance(value, int):
            v["int_value"] = value
        else:
            v["double_value"] = float(value)
        out.append({"key": key, "value": v})
    return out


class _Session:
    """Writes one session's rows, the clock moving a few seconds per event."""

    def __init__(
        self,
        rows: list[dict[str, Any]],
        pseudo: str,
        start: dt.datetime,
        rng: np.random.Generator,
        user_id: str | None,
        device: str,
    ) -> None:
        self.rows, self.pseudo, self.t, self.rng = rows, pseudo, start, rng
        self.user_id, self.device = user_id, device
        self.session_id = int(start.timestamp())
        self.page = "/"
        self.referrer = ""

    def event(self, name: str, **params: Any) -> None:
        self.t += dt.timedelta(seconds=int(self.rng.integers(1, 4)))
        values = {"ga_session_id": self.session_id, "page_location": HOST + self.page, **params}
        self.rows.append(
            {
                "event_date": self.t.strftime("%Y%m%d"),
                "event_timestamp": int(self.t.timestamp() * 1_000_000),
                "event_name": name,
                "event_params": _params(values),
                "event_bundle_sequence_id": len(self.rows),
                "batch_event_index": 0,
                "user_id": self.user_id,
                "user_pseudo_id": self.pseudo,
                "user_properties": [],
                "device": {"category": self.device, "language": "ja-jp"},
                "platform": "WEB",
            }
        )

    def view(self, page: str, title: str, *, dwell: tuple[int, int] = (8, 60)) -> None:
        self.t += dt.timedelta(seconds=int(self.rng.integers(*dwell)))
        self.referrer, self.page = HOST + self.page, page
        self.event("page_view", page_title=title, page_referrer=self.referrer)


def _shop_session(
    s: _Session, rng: np.random.Generator, *, trouble: bool, customer: str | None, first: bool
) -> tuple[bool, bool, bool]:
    """One visit; returns (purchased, logged in, hit the card problem)."""
    logged_in = False
    landing = rng.random() < 0.3  # from an ad or a search engine straight to a product
    s.page = f"/products/{rng.choice(PRODUCTS)}" if landing else "/"
    s.event("session_start")  # GA4 sends these with the landing page's location
    if first:
        s.event("first_visit")
    if not landing:
        s.view("/", "Kocha Tea Shop")
        s.event("user_engagement", engagement_time_msec=int(rng.integers(2_000, 20_000)))
    for _ in range(0 if landing else int(rng.integers(1, 3))):
        c = str(rng.choice(COLLECTIONS))
        s.view(f"/collections/{c}", f"{c} | Kocha")
        s.event("view_item_list", item_list_name=c)
    if rng.random() < 0.25:
        s.view("/search", "Search | Kocha")
        s.event("view_search_results", search_term=str(rng.choice(["matcha", "急須", "gift"])))
    added = False
    for _ in range(int(rng.integers(1, 4))):
        p = str(rng.choice(PRODUCTS))
        s.view(f"/products/{p}", f"{p} | Kocha")
        s.event("view_item", item_id=p, currency="JPY", value=1800.0)
        if rng.random() < 0.02:
            s.event("error", error_message="product image failed to load")
        if rng.random() < 0.45:
            s.event("add_to_cart", item_id=p, currency="JPY", value=1800.0)
            added = True
    if rng.random() < 0.06:
        s.view("/pages/faq", "FAQ | Kocha")
    if not added or rng.random() < 0.3:
        return False, logged_in, False
    s.view("/cart", "Cart | Kocha")
    s.event("view_cart", currency="JPY", value=3600.0)
    if customer is not None and rng.random() < 0.6:
        s.view("/account/login", "Log in | Kocha")
        s.user_id = customer  # GA4 gets user_id from the login on
        s.event("login", method="email")
        logged_in = True
    elif customer is None and rng.random() < 0.2:
        s.view("/account/register", "Create account | Kocha")
        s.event("sign_up", method="email")
    s.view("/checkouts/information", "Information | Checkout")
    s.event("begin_checkout", currency="JPY", value=3600.0)
    s.view("/checkouts/shipping", "Shipping | Checkout")
    s.event("add_shipping_info", shipping_tier="standard")
    s.view(PAYMENT_PAGE, "Payment | Checkout")
    s.event("add_payment_info", payment_type="credit_card")
    if trouble:
        s.event("error", error_message="card declined (3-D Secure)")
        for _ in range(int(rng.integers(2, 4))):  # reloads, seconds apart
            s.view(PAYMENT_PAGE, "Payment | Checkout", dwell=(5, 20))
            s.event("error", error_message="card declined (3-D Secure)")
        if rng.random() < 0.4:
            s.view("/pages/faq", "FAQ | Kocha")
        if rng.random() < 0.8:
            return False, logged_in, True
    elif rng.random() < 0.1:
        return False, logged_in, False  # ordinary drop-off
    s.view("/checkouts/thank-you", "Thank you | Checkout")
    s.event("purchase", transaction_id=f"T{s.session_id}", currency="JPY", value=3600.0)
    if rng.random() < 0.05:
        s.view("/pages/contact", "Contact | Kocha")
    return True, logged_in, trouble


def write_shop_export(
    path: str | Path, *, visitors: int = 400, seed: int = 7, trouble_share: float = 0.5
) -> ShopExport:
    """Write the shop's GA4 export (Parquet) to ``path``; ``trouble_share`` of the visitors who
    reach the payment page have the card problem."""
    rng = np.random.default_rng(seed)
    start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    rows: list[dict[str, Any]] = []
    export = ShopExport(Path(path), 0, visitors)
    for v in range(visitors):
        pseudo = f"{rng.integers(10**9, 10**10)}.{1_790_000_000 + v}"
        customer = f"C{v:05d}" if rng.random() < 0.4 else None
        troubled = bool(rng.random() < trouble_share)
        user_id = None
        days = sorted(rng.uniform(0, 27, size=1 + int(rng.poisson(0.8))))
        device = str(rng.choice(["mobile", "desktop"]))
        for i, day in enumerate(days):
            s = _Session(rows, pseudo, start + dt.timedelta(days=float(day)), rng, user_id, device)
            purchased, logged_in, hit = _shop_session(
                s, rng, trouble=troubled, customer=customer, first=i == 0
            )
            if hit:
                export.trouble.add(pseudo)
            export.purchases += purchased
            user_id = user_id or (customer if logged_in else None)
    pq.write_table(pa.Table.from_pylist(rows, schema=GA4_SCHEMA), export.path)
    export.rows = len(rows)
    return export
