"""Config loading, overrides and validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kizuki.errors import ConfigError, NotFoundError
from kizuki.simulate import SimConfig, load_config
from kizuki.simulate.config import default_config_path


def _write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "company.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _default() -> dict[str, object]:
    data = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_default_config_describes_a_rich_company() -> None:
    cfg = load_config(None)
    assert isinstance(cfg, SimConfig)
    assert cfg.customers == 5000 and cfg.days == 90
    assert len(cfg.content) >= 40
    assert all(c.title_ja and c.title_en for c in cfg.content)
    assert len(cfg.intents) >= 12
    assert all(len(i.phrasings_ja) >= 3 and len(i.phrasings_en) >= 3 for i in cfg.intents)
    assert 4 <= len(cfg.problems) <= 6
    assert all(0.02 <= p.contact_rate <= 0.12 for p in cfg.problems)
    assert len(cfg.incidents) == 2
    assert {c.name for c in cfg.channels} == {"email", "chat", "phone", "form", "chatbot", "social"}
    stages = [s.name for s in cfg.journey.stages]
    assert stages == ["visit", "signup", "setup", "use", "billing", "renewal"]


def test_flags_override_the_file() -> None:
    cfg = load_config(None, customers=123, days=45, seed=9)
    assert (cfg.customers, cfg.days, cfg.seed) == (123, 45, 9)
    assert (cfg.end_date - cfg.start_date).days == 44


def test_resolved_config_round_trips_through_yaml(tmp_path: Path) -> None:
    cfg = load_config(None, customers=77)
    path = tmp_path / "resolved.yaml"
    path.write_text(cfg.to_yaml(), encoding="utf-8")
    assert load_config(path) == cfg


@pytest.mark.parametrize(
    ("change", "key", "value"),
    [
        (lambda d: d.update(customers=0), "customers", "0"),
        (lambda d: d.update(days=3), "days", "3"),
        (lambda d: d["problems"][0].update(contact_rate=1.5), "problems[0].contact_rate", "1.5"),
        (
            lambda d: d["problems"][1].update(intent="no_such_intent"),
            "problems[1].intent",
            "no_such_intent",
        ),
        (
            lambda d: d["problems"][0].update(page_path="/nowhere"),
            "problems[0].page_path",
            "/nowhere",
        ),
        (lambda d: d["segments"][0].update(share=0.9), "segments[].share", "1.4"),
        (lambda d: d["channels"][5].update(share=0.1), "channels[5].share", "0.1"),
        (lambda d: d["incidents"][0].update(segment="vip"), "incidents[0].segment", "vip"),
        (lambda d: d.update(colour="green"), "colour", "green"),
    ],
    ids=["customers", "days", "rate", "intent", "page", "shares", "chatbot", "segment", "extra"],
)
def test_bad_values_name_the_key_and_the_value(
    tmp_path: Path, change: object, key: str, value: str
) -> None:
    data = _default()
    change(data)  # type: ignore[operator]
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, data))
    assert key in str(err.value)
    assert value in str(err.value)


def test_bad_flag_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"customers.*-5"):
        load_config(None, customers=-5)


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("customers: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(NotFoundError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
