"""Settings: one validated object from defaults, ``kizuki.toml``, ``KIZUKI_*`` and flags; every
setting documented (that every analysis setting is read by a run is tested beside the
pipeline, tests/analytics/test_pipeline.py)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

import kizuki
from kizuki.errors import ConfigError
from kizuki.settings import Settings, leaf_settings, load_settings, parse_assignments

ROOT = Path(__file__).parents[1]
LEAVES = [".".join(path) for path, _ in leaf_settings()]


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts from the defaults: no KIZUKI_* variable, no kizuki.toml."""
    for name in [n for n in os.environ if n.startswith("KIZUKI_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _render_configuration() -> str:
    spec = importlib.util.spec_from_file_location("gen_cli", ROOT / "docs" / "gen_cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page: str = module.render_configuration()
    return page


def test_the_configuration_page_is_generated_from_the_settings() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == _render_configuration(), "run python docs/gen_cli.py"


@pytest.mark.parametrize("key", LEAVES)
def test_every_setting_has_a_description(key: str) -> None:
    field = dict(leaf_settings())[tuple(key.split("."))]
    assert field.description, f"{key} has no description"


def test_defaults_then_file_then_environment_then_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kizuki.toml").write_text(
        'lang = "en"\nbatch_rows = 5000\n[analyze]\nseed = 3\n[analyze.silent]\nwindow_days = 7\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KIZUKI_BATCH_ROWS", "6000")
    monkeypatch.setenv("KIZUKI_ANALYZE__SILENT__WINDOW_DAYS", "8")
    s = load_settings(overrides=parse_assignments(["analyze.silent.window_days=9"]))
    assert s.store == Settings().store  # default
    assert s.lang == "en" and s.analyze.seed == 3  # file
    assert s.batch_rows == 6000  # environment over file
    assert s.analyze.silent.window_days == 9  # flag over environment
    assert s.analyze.silent.n_boot == 200  # the rest of [analyze.silent] keeps its defaults


def test_a_named_settings_file_and_kizuki_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = tmp_path / "team.toml"
    named.write_text('lang = "en"\n', encoding="utf-8")
    assert load_settings(named).lang == "en"
    monkeypatch.setenv("KIZUKI_CONFIG", str(named))
    assert load_settings().lang == "en"
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[analyze.silent]\nwindow_days = 0\n", r"analyze\.silent\.window_days: .*greater"),
        ("[analyze.silent]\nwindow_dayz = 3\n", r"analyze\.silent\.window_dayz: Extra inputs"),
        ('lang = "fr"\n', r"lang: .*'ja' or 'en'"),
        ("lang = \n", "not valid TOML"),
    ],
    ids=["out of range", "misspelt key", "unknown language", "not TOML"],
)
def test_a_bad_settings_file_names_the_file_and_the_key(
    tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "kizuki.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_settings()
    assert "kizuki.toml" in str(info.value)


def test_assignments_read_toml_values_and_refuse_garbage() -> None:
    assert parse_assignments(["a.b=1", "a.c=true", "d=x y", 'e=["p", "q"]']) == {
        "a": {"b": 1, "c": True},
        "d": "x y",
        "e": ["p", "q"],
    }
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_assignments(["analyze.seed"])


def test_the_store_setting_is_the_default_store(tmp_path: Path) -> None:
    (tmp_path / "kizuki.toml").write_text(f'store = "duckdb://{tmp_path}/s.duckdb"\n')
    kz = kizuki.open()
    assert kz.url == f"duckdb://{tmp_path}/s.duckdb" and (tmp_path / "s.duckdb").exists()
    kz.close()


def test_batch_rows_bounds_each_ingest_transaction(tmp_path: Path) -> None:
    lines = ["event_id,ts,anonymous_id,event_name"]
    lines += [f"e{i},2026-01-01T00:00:{i % 60:02d}Z,v{i},page_view" for i in range(2500)]
    (tmp_path / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(overrides={"batch_rows": 1000})
    kz = kizuki.open("duckdb://", settings=settings)
    progress: list[float] = []
    kz.ingest("csv", [tmp_path / "events.csv"], progress=lambda s, done, t: progress.append(done))
    assert kz.overview()["tables"]["events"]["rows"] == 2500
    assert 1000 in progress and 2000 in progress  # committed a thousand rows at a time
