"""Settings: defaults, then ``kizuki.toml``, then ``KIZUKI_*`` environment variables, then flags.

One validated :class:`Settings` object holds everything a run can be told: the store, the
report language, the ingest batch size, and every analysis parameter (``[analyze]`` and its
tables ``[analyze.silent]``, ``[analyze.friction]`` …, each the config model of its analysis).
It is made by :func:`load_settings` and passed in explicitly; nothing creates one at import.
Every field's description is its documentation: docs/configuration.md (where each source and
an example file are described) is generated from them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kizuki.analytics.channel_flows import FlowConfig
from kizuki.analytics.contact_reasons import IntentConfig
from kizuki.analytics.content_step import ContentConfig
from kizuki.analytics.fix_first import FixFirstConfig
from kizuki.analytics.friction import FrictionConfig
from kizuki.analytics.identity import IdentityConfig
from kizuki.analytics.kpis import KPIConfig
from kizuki.analytics.selfservice import SelfServiceConfig
from kizuki.analytics.signals import SignalConfig
from kizuki.analytics.silent import SilentConfig
from kizuki.analytics.voice import VoiceConfig
from kizuki.errors import ConfigError
from kizuki.outreach.queue import OutreachConfig

__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILE",
    "AnalyzeSettings",
    "Settings",
    "leaf_settings",
    "load_settings",
    "nested",
    "parse_assignment",
    "parse_assignments",
]

#: The settings file read from the working directory when none is named.
CONFIG_FILE = "kizuki.toml"
#: The environment variable that names another settings file.
CONFIG_ENV = "KIZUKI_CONFIG"
ENV_PREFIX = "KIZUKI_"
NESTED = "__"


class AnalyzeSettings(BaseModel):
    """What ``kizuki analyze`` runs with; recorded whole in ``result_runs`` for every run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    journey: str = Field(
        "default",
        description="Journey map: a shipped map (default, demo) or a YAML file.",
    )
    seed: int = Field(
        0,
        description="Seed of every random draw of a run (bootstrap, model folds, clustering).",
    )
    contact_reasons: bool = Field(
        True,
        description="Classify contacts and help searches by intent and look for new and "
        "rising topics (false keeps an earlier run's tables).",
    )
    intent_model: Path | None = Field(
        None,
        description="Intent model file from `kizuki intents train` (default: one trained on "
        "the store's labelled contacts).",
    )
    identity: IdentityConfig = Field(
        default_factory=IdentityConfig,
        description="Which customer an anonymous browser or a helpdesk requester is "
        "(docs/identity.md).",
    )
    signals: SignalConfig = Field(
        default_factory=SignalConfig,
        description="Sessions and struggle-signal thresholds (docs/journey.md).",
    )
    friction: FrictionConfig = Field(
        default_factory=FrictionConfig,
        description="Windows and sizes of the friction-point figures (docs/journey.md).",
    )
    silent: SilentConfig = Field(
        default_factory=SilentConfig,
        description="The silent-customer estimate (docs/silent.md).",
    )
    fix_first: FixFirstConfig = Field(
        default_factory=FixFirstConfig,
        description="The suggested-action rule of 'what to fix first' (docs/silent.md).",
    )
    intents: IntentConfig = Field(
        default_factory=IntentConfig,
        description="The contact-reason step (docs/intents.md).",
    )
    selfservice: SelfServiceConfig = Field(
        default_factory=SelfServiceConfig,
        description="Self-resolution per intent and channel and the channel fit "
        "(docs/selfservice.md).",
    )
    flows: FlowConfig = Field(
        default_factory=FlowConfig,
        description="Channel flows per intent: churn window and the cost of each channel's "
        "step (docs/selfservice.md).",
    )
    content: ContentConfig = Field(
        default_factory=ContentConfig,
        description="Help content and help search: readability, engagement, how articles are "
        "found, failed queries (docs/content.md).",
    )
    kpis: KPIConfig = Field(
        default_factory=KPIConfig,
        description="Support KPIs: business hours and holidays, service-level and re-contact "
        "windows (docs/metrics.md).",
    )
    voice_of_customer: bool = Field(
        True,
        description="Read survey comments, contacts and brand mentions: sentiment, intents, "
        "spikes (false keeps an earlier run's tables).",
    )
    voice: VoiceConfig = Field(
        default_factory=VoiceConfig,
        description="The voice of the customer: learning sentiment from survey comments, "
        "spike tests (docs/voice.md).",
    )
    proactive_outreach: bool = Field(
        True,
        description="Score churn risk and build the outreach queue (false keeps an earlier "
        "run's tables).",
    )
    outreach: OutreachConfig = Field(
        default_factory=OutreachConfig,
        description="Churn risk and the outreach queue: window, triggers, expected value, "
        "suppression (docs/outreach.md).",
    )


class Settings(BaseSettings):
    """Kizuki's settings (see the module docstring for where they come from)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter=NESTED, extra="forbid", frozen=True
    )

    store: str = Field(
        "duckdb://kizuki.duckdb",
        description="Store URL: duckdb://path/kizuki.duckdb, duckdb:// (memory), spark://local[2].",
    )
    lang: Literal["ja", "en"] = Field("ja", description="Language of the report: ja or en.")
    batch_rows: int = Field(
        250_000,
        ge=1_000,
        description="Rows per ingest transaction (bounds memory; an interrupted ingest resumes "
        "after the last one).",
    )
    demo_dir: Path = Field(Path("demo"), description="Where `kizuki demo` writes its files.")
    hash_key: SecretStr | None = Field(
        None,
        description="Key of the keyed hash that links e-mail addresses without storing them "
        "(default: a random key each store keeps; set one to link addresses across stores).",
    )
    timezone: str | None = Field(
        None,
        description="IANA time zone where the team works, e.g. Asia/Tokyo: times written "
        "without a UTC offset are read in it, and the report shows its local times, days and "
        "weeks (default: Asia/Tokyo when lang is ja, else UTC).",
    )
    analyze: AnalyzeSettings = Field(
        default_factory=AnalyzeSettings, description="What `kizuki analyze` runs with."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    f"unknown time zone {value!r}; use an IANA name such as Asia/Tokyo or UTC"
                ) from exc
        return value

    @property
    def store_timezone(self) -> str:
        """The time zone in effect: ``timezone``, else Asia/Tokyo for ``ja`` and UTC for ``en``."""
        return self.timezone or ("Asia/Tokyo" if self.lang == "ja" else "UTC")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))


#: The settings file :func:`load_settings` is reading (pydantic-settings makes the sources).
_SETTINGS_FILE: ContextVar[Path | None] = ContextVar("kizuki_settings_file", default=None)


class _TomlSource(PydanticBaseSettingsSource):
    """The settings file chosen by :func:`load_settings`, whole."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole document

    def __call__(self) -> dict[str, Any]:
        path = _SETTINGS_FILE.get()
        if path is None:
            return {}
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _config_path(config_file: str | Path | None) -> Path | None:
    """The settings file to read: the named one (which must exist), else ``$KIZUKI_CONFIG``,
    else ``kizuki.toml`` in the working directory if there is one."""
    named = config_file or os.environ.get(CONFIG_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"settings file {str(path)!r} does not exist")
        return path
    default = Path(CONFIG_FILE)
    return default if default.is_file() else None


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def load_settings(
    config_file: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """The settings from the defaults, the settings file, ``KIZUKI_*`` and ``overrides``.

    Parameters
    ----------
    config_file
        A TOML settings file (default: ``$KIZUKI_CONFIG``, else ``./kizuki.toml`` if present).
    overrides
        Nested values that win over everything else, e.g. from CLI flags:
        ``{"analyze": {"silent": {"window_days": 7}}}`` (see :func:`parse_assignments`).

    Raises
    ------
    ConfigError
        The file is missing or not TOML, or a value is invalid (the message names the key).

    Examples
    --------
    >>> settings = load_settings(overrides={"analyze": {"silent": {"window_days": 7}}})
    >>> settings.analyze.silent.window_days
    7
    """
    path = _config_path(config_file)
    token = _SETTINGS_FILE.set(path)
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as exc:
        source = f"{path}, " if path else ""
        problems = "; ".join(
            f"{_where(err['loc'])}: {err['msg']} (got {err.get('input')!r})" for err in exc.errors()
        )
        raise ConfigError(
            f"invalid settings (from {source}KIZUKI_* variables or flags): {problems}"
        ) from None
    finally:
        _SETTINGS_FILE.reset(token)


def nested(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys as nested tables, e.g. overrides for :func:`load_settings`.

    >>> nested({"analyze.silent.window_days": 7, "lang": "en"})
    {'analyze': {'silent': {'window_days': 7}}, 'lang': 'en'}
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"setting {key!r}: {part} is a value, not a table")
            node = child
        node[leaf] = value
    return out


def parse_assignment(item: str) -> tuple[str, Any]:
    """``"analyze.seed=1"`` as ``("analyze.seed", 1)``: the value is read as a TOML value where
    it parses (``7``, ``0.5``, ``true``, ``["a"]``), else as text."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. analyze.seed=1")
    try:
        value: Any = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.strip(), value


def parse_assignments(assignments: Iterable[str]) -> dict[str, Any]:
    """``["analyze.silent.window_days=7"]`` as nested overrides for :func:`load_settings`.
    Unknown keys are refused when the settings are validated.

    >>> parse_assignments(["analyze.silent.window_days=7", "lang=en"])
    {'analyze': {'silent': {'window_days': 7}}, 'lang': 'en'}
    """
    return nested(dict(parse_assignment(item) for item in assignments))


def leaf_settings(
    model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], FieldInfo]]:
    """Every setting that holds a value (not a table), as (key path, field), in order."""
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from leaf_settings(kind, (*prefix, name))
        else:
            yield (*prefix, name), info
