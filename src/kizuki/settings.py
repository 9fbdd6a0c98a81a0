"""Settings: defaults, then ``kizuki.toml``, then ``KIZUKI_*`` environment variables, then flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Kizuki's settings. Every field's description is its documentation (see docs/cli.md)."""

    model_config = SettingsConfigDict(env_prefix="KIZUKI_", toml_file="kizuki.toml", extra="forbid")

    store: str = Field(
        "duckdb://kizuki.duckdb",
        description="Store URL: duckdb://path/kizuki.duckdb, duckdb:// (memory), spark://local[2].",
    )
    lang: Literal["ja", "en"] = Field("ja", description="Language of reports and messages.")
    batch_rows: int = Field(
        250_000, ge=1_000, description="Rows per ingest batch (bounds memory; one transaction)."
    )
    demo_dir: Path = Field(Path("demo"), description="Where `kizuki demo` writes its files.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))
