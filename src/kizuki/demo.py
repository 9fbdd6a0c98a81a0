"""``kizuki demo``: simulate the demo company, ingest it, analyze it and write the report.

Everything goes into one folder (default ``demo/``)::

    DIR/data/            the simulator's files (canonical/, ga4/, zendesk/, ground_truth/)
    DIR/kizuki.duckdb    the store, filled through the real connectors
    DIR/demo-config.json the resolved simulator config the store was made from
    DIR/report.html      the report

Re-running is safe: the simulator is deterministic, ingest skips files it has seen (same
checksum), and the result tables and report are overwritten. When the config, seed or size
differ from the run that made the store, the store is deleted and made afresh, so data of two
companies never mix.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kizuki.i18n import check_language
from kizuki.progress import ProgressCallback, no_progress

if TYPE_CHECKING:
    from kizuki.ingest import IngestResult
    from kizuki.settings import Settings

__all__ = ["CONFIG_FILE", "STORE_FILE", "DemoResult", "run_demo"]

STORE_FILE = "kizuki.duckdb"
CONFIG_FILE = "demo-config.json"
REPORT_FILE = "report.html"
DATA_DIR = "data"
STEP = "demo"
_STEPS = ("simulate", "ingest", "analyze", "report")


@dataclass
class DemoResult:
    """What ``kizuki demo`` made, and how long each step took."""

    report_path: Path
    store_url: str
    directory: Path
    simulation: str
    ingested: list[IngestResult]
    tables_written: list[str]
    fresh_store: bool
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines for people: what was simulated, ingested and written, and the timings."""
        loaded = sum(r.rows_loaded for r in self.ingested if not r.skipped)
        skipped = sum(1 for r in self.ingested if r.skipped)
        timing = ", ".join(f"{step} {s:.1f} s" for step, s in self.seconds.items())
        lines = [
            self.simulation,
            *(r.summary() for r in self.ingested),
            f"store {self.store_url} ({'new' if self.fresh_store else 'reused'}): "
            f"{loaded:,} rows loaded, {skipped} files already ingested",
            f"result tables: {', '.join(self.tables_written)}",
            f"time: {timing}",
        ]
        return "\n".join(lines)


def _config_document(cfg: Any) -> dict[str, Any]:
    """The resolved config as JSON-able data (pydantic model or dataclass)."""
    if hasattr(cfg, "model_dump"):
        data: dict[str, Any] = cfg.model_dump(mode="json")
        return data
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return json.loads(json.dumps(dataclasses.asdict(cfg), default=str))  # type: ignore[no-any-return]
    return {"repr": repr(cfg)}


def _same_config(config_file: Path, document: dict[str, Any]) -> bool:
    if not config_file.is_file():
        return False
    try:
        return bool(json.loads(config_file.read_text(encoding="utf-8")) == document)
    except json.JSONDecodeError:
        return False


def _remove_store(store_path: Path) -> None:
    for path in (store_path, store_path.with_name(store_path.name + ".wal")):
        path.unlink(missing_ok=True)


def run_demo(
    directory: Path,
    *,
    config: Path | None = None,
    customers: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    lang: str | None = None,
    settings: Settings | None = None,
    progress: ProgressCallback = no_progress,
) -> DemoResult:
    """Simulate, ingest, analyze and report into ``directory``; safe to run again.

    Parameters
    ----------
    directory
        Where everything is written (created if missing).
    config, customers, days, seed
        The simulator config file (None: the built-in company) and its overrides.
    lang
        Report language, ``"ja"`` or ``"en"`` (default: ``settings.lang``).
    settings
        The settings the store is opened and analysed with (default:
        :func:`kizuki.settings.load_settings`); the journey map is always the demo's.
    progress
        Called as ``progress("demo", steps_done, 4)`` and by each step for its own work.

    Examples
    --------
    >>> result = run_demo(Path("demo"), customers=300, days=30, lang="en")  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    import kizuki
    from kizuki.settings import load_settings
    from kizuki.simulate import load_config, simulate_company

    settings = settings or load_settings()
    lang = lang or settings.lang
    check_language(lang)
    cfg = load_config(config, customers=customers, days=days, seed=seed)
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    store_path = directory / STORE_FILE
    config_file = directory / CONFIG_FILE
    document = _config_document(cfg)
    fresh = not (store_path.exists() and _same_config(config_file, document))
    if fresh:
        _remove_store(store_path)
    config_file.write_text(
        json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )

    seconds: dict[str, float] = {}
    progress(STEP, 0, len(_STEPS))

    started = time.perf_counter()
    sim = simulate_company(cfg, directory / DATA_DIR, progress=progress)
    seconds["simulate"] = time.perf_counter() - started
    progress(STEP, 1, len(_STEPS))

    store_url = f"duckdb://{store_path}"  # an absolute path: duckdb:///abs/path/kizuki.duckdb
    kz = kizuki.open(store_url, settings=settings)
    try:
        started = time.perf_counter()
        ingested: list[IngestResult] = []
        for table, path in sim.canonical_files:
            ingested += kz.ingest("csv", [path], table=table, progress=progress)
        ingested += kz.ingest("ga4", [sim.ga4_file], progress=progress)
        ingested += kz.ingest("zendesk", [sim.zendesk_file], progress=progress)
        seconds["ingest"] = time.perf_counter() - started
        progress(STEP, 2, len(_STEPS))

        started = time.perf_counter()
        written = kz.analyze(journey="demo", progress=progress)
        seconds["analyze"] = time.perf_counter() - started
        progress(STEP, 3, len(_STEPS))

        started = time.perf_counter()
        report_path = kz.report(directory / REPORT_FILE, lang=lang)
        seconds["report"] = time.perf_counter() - started
        progress(STEP, 4, len(_STEPS))
    finally:
        kz.close()

    return DemoResult(
        report_path=report_path,
        store_url=store_url,
        directory=directory,
        simulation=sim.summary(),
        ingested=ingested,
        tables_written=written,
        fresh_store=fresh,
        seconds=seconds,
    )
