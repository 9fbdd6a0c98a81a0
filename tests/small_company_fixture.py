"""A small Japanese SaaS company's own exports, built in code (issue 19).

About 300 customers, ~4,500 web events (``user_id, timestamp, page, event``; naive JST times,
no ``event_id``) and ~200 helpdesk tickets in Shift_JIS with Japanese headers
(チケットID, 作成日時 ``2026/11/02 9:05``, チャネル メール/電話/チャット/FAX …), a few broken
rows, and one real problem: ``affected`` customers hit an error on ``/app/import`` and CSV import
is the top ticket reason. :func:`write_small_company` returns the paths and the truth.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["EVENT_MAPPING", "TICKET_MAPPING", "SmallCompany", "write_small_company"]

JST = dt.timezone(dt.timedelta(hours=9))
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=JST)  # a Monday
DAYS = 24  # ends on a Wednesday: the last week is partial

PAGES = ["/", "/login", "/app/dashboard", "/app/projects", "/app/settings", "/pricing"]
IMPORT = "/app/import"
CHANNELS = ["メール", "電話", "チャット", "FAX"]
OTHER_SUBJECTS = [
    ("ログインできません", "パスワードを忘れてしまい、ログインできません。", "ログイン"),
    ("請求書の再発行", "先月分の請求書を再発行していただけますか。", "請求書"),
    ("プラン変更について", "プランを変更したいのですが、手順を教えてください。", "プラン変更"),
    ("解約の手続き", "解約の手続きについて教えてください。", "解約"),
]
IMPORT_SUBJECT = (
    "CSVインポートができない",
    "CSVファイルをインポートするとエラーになります。",
    "CSVインポート",
)
#: the share of tickets an agent gave a category (the rest are unlabelled)
LABELLED = 0.7

#: the column mapping a user writes for the tickets file (value map included)
TICKET_MAPPING = """\
contact_id: チケットID
opened_at: 作成日時
customer_id: 顧客ID
channel:
  column: チャネル
  values: {メール: email, 電話: phone, チャット: chat}
  other: other
subject: 件名
text: 本文
status: ステータス
intent: カテゴリ
agent_id: 担当者
"""
#: the column mapping of the events file (no event_id: Kizuki derives one)
EVENT_MAPPING = """\
customer_id: user_id
ts: timestamp
page_path: page
event_name: event
"""


@dataclass
class SmallCompany:
    """The files written and what is true in them."""

    events: Path
    tickets: Path
    event_mapping: Path
    ticket_mapping: Path
    customers: list[str]
    affected: set[str] = field(default_factory=set)
    contacted: set[str] = field(default_factory=set)
    bad_ticket_rows: int = 0
    bad_event_rows: int = 0

    @property
    def silent(self) -> int:
        """Affected customers who did not contact support."""
        return len(self.affected - self.contacted)


TICKET_HEADER = [
    "チケットID",
    "作成日時",
    "顧客ID",
    "チャネル",
    "件名",
    "本文",
    "ステータス",
    "カテゴリ",
    "担当者",
]


def _moment(rng: np.random.Generator, hours: float) -> dt.datetime:
    """A random time of the period: a day, then up to ``hours`` into the working day."""
    day = float(rng.uniform(0, DAYS - 1))
    return START + dt.timedelta(days=day, hours=float(rng.uniform(0, hours)))


def _naive(t: dt.datetime) -> str:
    return t.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")


def _ja(t: dt.datetime) -> str:
    t = t.astimezone(JST)
    return f"{t.year}/{t.month:02d}/{t.day:02d} {t.hour}:{t.minute:02d}"


def write_small_company(
    out: Path,
    *,
    seed: int = 0,
    customers: int = 300,
    affected: int = 45,
    contact_share: float = 0.55,
    other_tickets: int = 170,
) -> SmallCompany:
    """Write ``events.csv`` (UTF-8) and ``tickets.csv`` (Shift_JIS) and their mappings."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    ids = [f"U{i:04d}" for i in range(1, customers + 1)]
    hit = set(rng.choice(ids, size=affected, replace=False).tolist())
    events: list[list[str]] = []
    tickets: list[list[str]] = []
    co = SmallCompany(
        out / "events.csv",
        out / "tickets.csv",
        out / "events_mapping.yaml",
        out / "tickets_mapping.yaml",
        ids,
        affected=hit,
    )
    for cid in ids:
        n_sessions = int(rng.integers(2, 5))
        starts = sorted(_moment(rng, 11) for _ in range(n_sessions))
        error_session = int(rng.integers(0, n_sessions)) if cid in hit else -1
        for s, t in enumerate(starts):
            pages = ["/login", "/app/dashboard", *rng.choice(PAGES, size=int(rng.integers(1, 4)))]
            visits_import = s == error_session or rng.random() < 0.15
            if visits_import:
                pages.insert(2, IMPORT)
            for page in pages:
                t += dt.timedelta(seconds=float(rng.uniform(10, 90)))
                events.append([cid, _naive(t), page, "page_view"])
                if page == IMPORT and s == error_session:
                    t += dt.timedelta(seconds=float(rng.uniform(5, 20)))
                    events.append([cid, _naive(t), IMPORT, "error"])
                    for _ in range(int(rng.integers(0, 3))):  # retries
                        t += dt.timedelta(seconds=float(rng.uniform(5, 30)))
                        events.append([cid, _naive(t), IMPORT, "page_view"])
                        events.append([cid, _naive(t), IMPORT, "error"])
                    if rng.random() < contact_share:
                        co.contacted.add(cid)
                        when = t + dt.timedelta(hours=float(rng.uniform(0.3, 30)))
                        tickets.append(_ticket(rng, cid, when, IMPORT_SUBJECT))
    for _ in range(other_tickets):
        cid = str(rng.choice(ids))
        when = _moment(rng, 10)
        subject = OTHER_SUBJECTS[int(rng.integers(0, len(OTHER_SUBJECTS)))]
        tickets.append(_ticket(rng, cid, when, subject))
    tickets.sort(key=lambda r: r[1])
    for i, row in enumerate(tickets, start=1):
        row.insert(0, f"T-{i:05d}")
        row[1] = _ja(dt.datetime.fromisoformat(row[1]))
    # broken rows: a month 13 date; no ticket id; a bad date *and* no channel; a short row
    tickets += [
        ["T-90001", "2026/13/01 9:05", "U0001", "メール", "件名", "本文", "open", "", "佐藤"],
        ["", "2026/11/05 10:00", "U0002", "電話", "件名", "本文", "open", "", "佐藤"],
        ["T-90002", "2026/11/31 25:00", "U0003", "", "件名", "本文", "open", "", "鈴木"],
        ["T-90003", "2026/11/05 10:00"],
    ]
    co.bad_ticket_rows = 4
    events += [["", _naive(START), "/", "page_view"], ["U0001", "昨日", "/", "page_view"]]
    co.bad_event_rows = 2
    with co.events.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "timestamp", "page", "event"])
        w.writerows(events)
    with co.tickets.open("w", encoding="cp932", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(TICKET_HEADER)
        w.writerows(tickets)
    co.event_mapping.write_text(EVENT_MAPPING, encoding="utf-8")
    co.ticket_mapping.write_text(TICKET_MAPPING, encoding="utf-8")
    return co


def _ticket(
    rng: np.random.Generator, cid: str, when: dt.datetime, subject: tuple[str, str, str]
) -> list[str]:
    channel = CHANNELS[int(rng.choice(4, p=[0.55, 0.2, 0.2, 0.05]))]
    body = subject[1]
    if rng.random() < 0.3:
        mail = f"yamada{int(rng.integers(100))}@example.co.jp"
        body += f" 連絡先: {mail} / 03-1234-{int(rng.integers(1000, 9999))}"
    status = "解決済み" if rng.random() < 0.7 else "対応中"
    category = subject[2] if rng.random() < LABELLED else ""
    agent = ["佐藤", "鈴木", "高橋"][int(rng.integers(0, 3))]
    return [when.isoformat(), cid, channel, subject[0], body, status, category, agent]
