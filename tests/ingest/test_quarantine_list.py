"""The quarantine listing: grouped by kind of reason, a row in the group of each of its reasons,
examples, filters, the CSV of every row, and only the current batches counted."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kizuki.analytics.overview import data_overview
from kizuki.core import Kizuki
from kizuki.errors import NotFoundError
from kizuki.ingest import ingest_files
from kizuki.ingest.quarantine_list import EXAMPLES, list_quarantine
from kizuki.settings import Settings
from kizuki.store import Store

HEADER = "event_id,ts,anonymous_id,event_name,page_path\n"
ROWS = [
    "e1,2026-11-02T09:00:00+09:00,a1,page_view,/app/import",  # good
    "e2,2026/13/01 9:05,a1,,/app/import",  # row 3: a bad month and no event name
    "e3,2026/14/01 9:05,a1,page_view,/app",  # row 4: a bad month
    "e4,2026-11-02T09:00:00+09:00,a1,,/app",  # row 5: no event name
    "e5,2026-11-02T09:00:00+09:00,,page_view,/インポート",  # row 6: no visitor
]
TS = "ts '…' is not a date (month N)"
NAME = "event_name is missing"
VISITOR = "neither customer_id nor anonymous_id is set"


def _write(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> tuple[str, str]:
    """Two batches of events: the five rows above, and one bad month in another file."""
    (a,) = ingest_files(store, "csv", [_write(tmp_path / "events.csv", ROWS)])
    other = _write(tmp_path / "more" / "late.csv", ["e9,2026/15/01 9:05,a2,page_view,/"])
    (b,) = ingest_files(store, "csv", [other], table="events")
    return a.batch_id, b.batch_id


def test_a_row_counts_in_the_group_of_each_of_its_reasons(
    store: Store, loaded: tuple[str, str]
) -> None:
    listing = list_quarantine(store)
    assert listing.rows == 5  # rows, each once
    assert [(g.reason_kind, g.rows) for g in listing.groups] == [
        (TS, 3),
        (NAME, 2),
        (VISITOR, 1),
    ]
    ts = listing.groups[0]
    assert [(e["file"].rsplit("/", 1)[-1], e["source_row"]) for e in ts.examples] == [
        ("events.csv", 3),
        ("events.csv", 4),
        ("late.csv", 2),
    ]
    # the example shows every reason of the row, and its raw text
    assert ts.examples[0]["reason"] == f"ts '2026/13/01 9:05' is not a date (month 13); {NAME}"
    assert "2026/13/01 9:05" in ts.examples[0]["raw"]
    assert listing.groups[2].examples[0]["raw"].count("/インポート") == 1


def test_examples_are_the_first_few_rows_of_a_group(store: Store, tmp_path: Path) -> None:
    bad = [f"e{i},2026/13/0{i} 9:05,a1,page_view,/" for i in range(1, 7)]
    ingest_files(store, "csv", [_write(tmp_path / "events.csv", bad)])
    (group,) = list_quarantine(store).groups
    assert group.rows == 6 and len(group.examples) == EXAMPLES
    assert [e["source_row"] for e in group.examples] == [2, 3, 4]


def test_reason_like_keeps_matching_reasons_and_rows_show_all_of_theirs(
    store: Store, loaded: tuple[str, str]
) -> None:
    listing = list_quarantine(store, reason_like="EVENT_NAME")
    assert [(g.reason_kind, g.rows) for g in listing.groups] == [(NAME, 2)]
    rows = listing.to_arrow().to_pylist()
    assert [(r["source_row"], r["reason"].count("; ")) for r in rows] == [(3, 1), (5, 0)]
    assert list_quarantine(store, reason_like="(month 1").rows == 3  # text found anywhere
    assert list_quarantine(store, reason_like="%(month 1").rows == 0  # a LIKE pattern
    assert list_quarantine(store, reason_like="%(month 1_)").rows == 3


def test_batch_filter_by_prefix_through_the_core_object(
    store: Store, loaded: tuple[str, str]
) -> None:
    kz = Kizuki(store, Settings())
    _, late = loaded
    listing = kz.quarantine(batch=late[: len(late) - 4])
    assert listing.rows == 1 and [g.rows for g in listing.groups] == [1]
    with pytest.raises(NotFoundError, match="no batch"):
        kz.quarantine(batch="zendesk-")


def test_csv_has_every_matching_row(store: Store, loaded: tuple[str, str], tmp_path: Path) -> None:
    out = tmp_path / "quarantine.csv"
    assert list_quarantine(store).write_csv(out) == 5
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["batch_id", "file", "source_row", "target_table", "reason", "raw"]
    assert [(Path(r["file"]).name, int(r["source_row"])) for r in rows] == [
        ("events.csv", 3),
        ("events.csv", 4),
        ("events.csv", 5),
        ("events.csv", 6),
        ("late.csv", 2),
    ]
    assert sum("/インポート" in r["raw"] for r in rows) == 1
    assert {r["target_table"] for r in rows} == {"events"}


def test_removed_batches_leave_the_listing_and_the_overview(
    store: Store, loaded: tuple[str, str], tmp_path: Path
) -> None:
    first, _ = loaded
    fixed = _write(tmp_path / "fixed" / "events.csv", [ROWS[0], ROWS[2]])
    (replacing,) = ingest_files(store, "csv", [fixed], replace=True)
    assert replacing.replaced_batches == (first,)
    listing = list_quarantine(store)
    assert listing.rows == 2 and [(g.reason_kind, g.rows) for g in listing.groups] == [(TS, 2)]
    overview = data_overview(store)
    assert overview["quarantined_rows"] == 2
    assert [r["batch_id"] for r in overview["ingest_log"]] == [loaded[1], replacing.batch_id]
