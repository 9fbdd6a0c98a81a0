"""Named configs, ``inherits``, and the realism knobs' validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kizuki.errors import ConfigError, NotFoundError
from kizuki.simulate import load_config
from kizuki.simulate.config import named_configs
from kizuki.simulate.realism import Realism


def _write(tmp_path: Path, data: dict[str, object], name: str = "company.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_configs_are_found_by_name() -> None:
    assert {"default", "hard"} <= set(named_configs())
    assert load_config(Path("default")) == load_config(None)
    hard = load_config(Path("hard"), customers=500)
    assert hard.customers == 500
    assert hard.company == load_config(None).company  # the same company ...
    assert hard.realism != Realism()  # ... with the knobs on
    r = hard.realism
    assert r.identity.anonymous_session_share == 0.5
    assert r.tickets.linked_share == 0.75
    assert r.tickets.tag_rate_by_channel["phone"] == 0.15
    assert r.hits.extra_hits_mean == 0.8
    assert len(r.generic_errors.messages) == 2


def test_the_default_turns_every_knob_off() -> None:
    cfg = load_config(None)
    assert cfg.realism == Realism()
    assert all(p.page_paths == [p.page_path] for p in cfg.problems)
    assert "realism" not in yaml.safe_load(cfg.to_yaml())
    assert all("other_page_paths" not in p for p in yaml.safe_load(cfg.to_yaml())["problems"])


def test_hard_has_the_planted_problems_the_issue_asks_for() -> None:
    cfg = load_config(Path("hard"))
    by_name = {p.name: p for p in cfg.problems}
    assert [len(p.page_paths) for p in cfg.problems].count(2) == 1
    assert [p.signal_error for p in cfg.problems].count(0.0) == 1
    generic = set(cfg.realism.generic_errors.messages)
    assert sum(p.error_message in generic for p in cfg.problems) == 2
    assert by_name["report_export_stalls"].signal_loop > 0.5


def test_unknown_name_lists_the_shipped_configs() -> None:
    with pytest.raises(NotFoundError, match=r"does not exist.*default, hard"):
        load_config(Path("hardest"))


def test_a_file_inherits_a_named_config_and_overrides_its_keys(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {"inherits": "hard", "customers": 123, "realism": {"tickets": {"linked_share": 0.6}}},
    )
    cfg = load_config(path)
    hard = load_config(Path("hard"))
    assert cfg.customers == 123
    assert cfg.realism.tickets.linked_share == 0.6
    assert cfg.realism.tickets.guest_share == hard.realism.tickets.guest_share  # merged
    assert cfg.problems == hard.problems


def test_inherits_a_relative_file_and_refuses_a_circle(tmp_path: Path) -> None:
    _write(tmp_path, {"inherits": "default", "days": 30}, "base.yaml")
    child = _write(tmp_path, {"inherits": "base.yaml", "seed": 9}, "child.yaml")
    cfg = load_config(child)
    assert (cfg.days, cfg.seed) == (30, 9)
    _write(tmp_path, {"inherits": "b.yaml"}, "a.yaml")
    _write(tmp_path, {"inherits": "a.yaml"}, "b.yaml")
    with pytest.raises(ConfigError, match="circle"):
        load_config(tmp_path / "a.yaml")


def test_resolved_hard_config_round_trips_through_yaml(tmp_path: Path) -> None:
    cfg = load_config(Path("hard"), customers=77)
    path = tmp_path / "resolved.yaml"
    path.write_text(cfg.to_yaml(), encoding="utf-8")
    assert load_config(path) == cfg


@pytest.mark.parametrize(
    ("realism", "problem", "message"),
    [
        ({"tickets": {"linked_share": 1.5}}, {}, r"realism\.tickets\.linked_share.*less than"),
        ({"identity": {"anonymous_session_share": -0.1}}, {}, r"anonymous_session_share"),
        ({"hits": {"extra_hits_mean": 50}}, {}, r"realism\.hits\.extra_hits_mean"),
        ({"hits": {"reload_risk_ratio_given_error": 0}}, {}, r"reload_risk_ratio_given_error"),
        (
            {"tickets": {"tag_rate_by_channel": {"fax": 0.5}}},
            {},
            r"tag_rate_by_channel\.fax: got 'fax', expected a channel of the config",
        ),
        ({"identity": {"logins": 0.5}}, {}, r"realism\.identity\.logins: Extra inputs"),
        (
            {"generic_errors": {"messages": ["Oops", "Oops"]}},
            {},
            r"generic_errors\.messages\[1\]: got 'Oops', expected unique messages",
        ),
        (
            {},
            {"other_page_paths": ["/nowhere"]},
            r"problems\[0\]\.other_page_paths\[0\]: got '/nowhere', expected a page path",
        ),
        (
            {},
            {"other_page_paths": ["/setup/bank-link"]},
            r"other_page_paths\[0\]: got '/setup/bank-link', expected a page not listed",
        ),
    ],
    ids=[
        "linked-share-above-1",
        "negative-share",
        "too-many-extra-hits",
        "zero-risk-ratio",
        "unknown-channel",
        "unknown-knob",
        "duplicate-generic-message",
        "unknown-page",
        "page-listed-twice",
    ],
)
def test_bad_knobs_are_named_with_their_value(
    tmp_path: Path, realism: dict[str, object], problem: dict[str, object], message: str
) -> None:
    data: dict[str, object] = {"inherits": "default", "realism": realism}
    if problem:
        first = dict(load_config(None).problems[0].model_dump(mode="json"), **problem)
        data["problems"] = [first]
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, data))


def test_cli_simulate_resolves_the_hard_name(tmp_path: Path) -> None:
    from kizuki.cli import app

    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["simulate", "--out", str(out), "--config", "hard", "--customers", "150", "--days", "7"],
    )
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))
    assert written["realism"]["tickets"]["linked_share"] == 0.75
    assert (out / "ground_truth" / "identities.csv").is_file()


def test_every_knob_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "simulator.md").read_text(encoding="utf-8")
    for section, model in Realism.model_fields.items():
        assert model.annotation is not None
        for knob in model.annotation.model_fields:  # type: ignore[union-attr]
            assert f"`realism.{section}.{knob}`" in doc, f"realism.{section}.{knob}"
    assert "`other_page_paths`" in doc
    for name in ("hits.csv", "identities.csv", "page_paths"):
        assert name in doc
