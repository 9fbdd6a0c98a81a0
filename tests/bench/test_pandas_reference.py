"""``bench/pandas_reference.py``: the plain-pandas peer gives Kizuki's numbers, or says not.

The peer is run as the benchmark runs it, a script in its own process
(``--store … --journey … --check --json …``), on stores Kizuki has analyzed: it must find no
difference on Kizuki's own result tables, and must report each value perturbed in a copy of
them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pytest
import yaml

import kizuki
from kizuki.journey import load_journey, match_pages

PEER = Path(__file__).parents[2] / "bench" / "pandas_reference.py"


def run_peer(store: Path, journey: str | Path) -> tuple[int, dict[str, Any], str]:
    """Run the peer with ``--check`` on ``store``: exit status, its JSON timings, its stderr."""
    out = store.with_suffix(".peer.json")
    proc = subprocess.run(
        [sys.executable, str(PEER), "--store", str(store), "--journey", str(journey), "--check",
         "--json", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    timings = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    return proc.returncode, timings, proc.stderr


#: Page patterns of every kind the journey map allows (docs/journey.md), and paths that match
#: them or nearly do: each path is visited, with an error there, in a store analyzed with one
#: stage per pattern before the demo journey's stages.
PATTERNS = ["/app", "/pricing$", "/$", "/help/*/articles/*", "/help/**", "/a?c", "/setup/"]
PATHS = [
    "/",
    "/app",
    "/apple",
    "/app/x",
    "/pricing",
    "/pricing/x",
    "/help/ja/articles/f-1",
    "/help/ja/articles/f-1/x",
    "/help",
    "/help/x/y",
    "/abc",
    "/abbc",
    "/setup",
    None,
]


def _pattern_visits(kz: kizuki.Kizuki) -> None:
    """Append one visitor per path of :data:`PATHS`: a page view and an error there."""
    events = kz.store.table("events")
    t0 = events.ts.max().execute() + pd.Timedelta(days=1)
    rows = []
    for i, path in enumerate(PATHS):
        for j, name in enumerate(("page_view", "error")):
            ts = (t0 + pd.Timedelta(hours=i, seconds=j)).to_pydatetime()
            rows.append(
                {"event_id": f"pattern-{i}-{j}", "ts": ts, "anonymous_id": f"pattern-visitor-{i}",
                 "event_name": name, "page_path": path, "batch_id": "patterns"}
            )  # fmt: skip
    kz.store.con.insert("events", pa.Table.from_pylist(rows, schema=events.schema().to_pyarrow()))


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small simulated company and the pattern visitors, analyzed by Kizuki with one stage
    per pattern and then the demo journey's: the store and the journey map's file."""
    from kizuki.simulate import load_config, simulate_company

    directory = tmp_path_factory.mktemp("pandas_reference")
    sim = simulate_company(load_config(None, customers=300, days=30, seed=7), directory / "data")
    raw = load_journey(name="demo").model_dump(mode="json")
    # first: ties between equally specific patterns go to the earlier stage
    raw["stages"][:0] = [{"name": f"pattern_{i}", "pages": [p]} for i, p in enumerate(PATTERNS)]
    journey_file = directory / "journey.yaml"
    journey_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    store_path = directory / "kizuki.duckdb"
    kz = kizuki.open(f"duckdb://{store_path}")
    for table, path in sim.canonical_files:
        kz.ingest("csv", [path], table=table)
    kz.ingest("ga4", [sim.ga4_file])
    kz.ingest("zendesk", [sim.zendesk_file])
    _pattern_visits(kz)
    kz.analyze(journey=load_journey(journey_file))
    kz.close()
    return store_path, journey_file


def test_pandas_reference_gives_kizukis_numbers(analyzed: tuple[Path, Path]) -> None:
    store, journey = analyzed
    status, timings, stderr = run_peer(store, journey)
    assert status == 0, stderr
    assert timings["equal"] is True
    # a comparison of near-empty tables would prove nothing
    assert timings["friction_points"] > 50
    con = duckdb.connect(str(store), read_only=True)
    try:
        kinds = con.sql("SELECT count(DISTINCT signal) FROM result_signals").fetchone()
        last = con.sql("SELECT stage FROM result_silent_customers WHERE page_path IS NULL")
        stages = [row[0] for row in last.fetchall()]
    finally:
        con.close()
    assert kinds is not None and kinds[0] >= 4
    assert stages == ["total"]


def test_page_patterns_match_like_the_engine(analyzed: tuple[Path, Path]) -> None:
    """Each pattern visitor's error is a signal at its own page, in the stage the engine's
    matching gives it, which the peer must give too (the comparison above)."""
    store, _ = analyzed
    table = ibis.memtable({"path": pd.Series(PATHS, dtype="str")})
    hits = table.select(
        **{f"pattern_{i}": match_pages(table.path, [p]) for i, p in enumerate(PATTERNS)}
    ).to_pandas()
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.sql(
            "SELECT page_path, stage FROM result_signals "
            "WHERE signal = 'error' AND visitor_id LIKE 'pattern-visitor-%'"
        ).fetchall()
    finally:
        con.close()
    stage = dict(rows)
    assert sorted(stage, key=str) == sorted(PATHS, key=str)
    for k, path in enumerate(PATHS):
        for i in range(len(PATTERNS)):
            if not hits.loc[k, f"pattern_{i}"]:
                assert stage[path] != f"pattern_{i}", path


#: (id, statement that perturbs one value or row of Kizuki's results, what the peer must name)
PERTURBATIONS = [
    (
        "friction-float-1e-7",
        "UPDATE result_friction_points SET page_rate = page_rate * (1 + 1e-7) WHERE point_id = "
        "(SELECT min(point_id) FROM result_friction_points WHERE page_rate > 0)",
        "result_friction_points.page_rate",
    ),
    (
        "friction-count",
        "UPDATE result_friction_points SET contacted_customers = contacted_customers + 1 "
        "WHERE point_id = (SELECT max(point_id) FROM result_friction_points "
        "WHERE contacted_customers IS NOT NULL)",
        "result_friction_points.contacted_customers",
    ),
    (
        "signal-occurrences",
        "UPDATE result_signals SET occurrences = occurrences + 1 "
        "WHERE rowid = (SELECT min(rowid) FROM result_signals)",
        "result_signals.occurrences",
    ),
    (
        "silent-float",
        "UPDATE result_silent_customers SET units = units * 1.001 WHERE page_path = "
        "(SELECT min(page_path) FROM result_silent_customers)",
        "result_silent_customers.units",
    ),
    (
        "signal-row-missing",
        "DELETE FROM result_signals WHERE rowid = (SELECT max(rowid) FROM result_signals)",
        "rows per signal differ",
    ),
]


@pytest.fixture(scope="module")
def perturbed(analyzed: tuple[Path, Path]) -> tuple[int, str]:
    """The peer's exit status and report on a copy of the store with every perturbation (each
    on a different table, column or row, so none hides another)."""
    store, journey = analyzed
    copy = store.with_name("perturbed.duckdb")
    shutil.copy(store, copy)
    con = duckdb.connect(str(copy))
    try:
        for _, statement, _ in PERTURBATIONS:
            con.execute(statement)
    finally:
        con.close()
    status, _, stderr = run_peer(copy, journey)
    return status, stderr


@pytest.mark.parametrize(
    "expected", [pytest.param(expected, id=name) for name, _, expected in PERTURBATIONS]
)
def test_comparison_reports_a_perturbed_value(perturbed: tuple[int, str], expected: str) -> None:
    status, report = perturbed
    assert status == 1
    assert expected in report, report
