"""Configuration: secrets and the database from the environment, course set-up from a TOML file.

Environment variables follow Slack's conventions (`SLACK_BOT_TOKEN`, ...) and `DATABASE_URL`;
the optional TOML file named by `FRICTION_CONFIG` holds what course staff edit: channels,
cohorts, TAs, schedules and thresholds. Both are validated before anything starts.
"""

from __future__ import annotations

import fnmatch
import tomllib
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifiers import TRIAGE_THRESHOLD
from digests.config import AlertSettings, DigestSettings, ResponseSettings
from storage.db import DEFAULT_URL


class ConfigError(Exception):
    """A configuration mistake, worded for the person who made it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Channels(_Section):
    """Which channels are watched. Empty `watch` means every channel the bot is a member of."""

    watch: list[str] = Field(
        default_factory=list, description="channel ids, names or name patterns"
    )
    cohorts: dict[str, str] = Field(
        default_factory=dict, description="channel id/name/pattern -> cohort"
    )
    hints: list[str] = Field(
        default_factory=list,
        description="channel ids, names or patterns where the bot replies hints (opt-in)",
    )

    def watches(self, channel_id: str, name: str | None) -> bool:
        return not self.watch or _matches(self.watch, channel_id, name)

    def hints_in(self, channel_id: str, name: str | None) -> bool:
        """Whether the channel opted in to hints in learners' threads; none did by default."""
        return _matches(self.hints, channel_id, name)

    def cohort(self, channel_id: str, name: str | None) -> str | None:
        for key, cohort in self.cohorts.items():
            if _matches([key], channel_id, name):
                return cohort
        return None


def _matches(patterns: list[str], channel_id: str, name: str | None) -> bool:
    candidates = [channel_id] + ([name, f"#{name}"] if name else [])
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


class Classifier(_Section):
    triage_threshold: float = Field(TRIAGE_THRESHOLD, ge=0, le=1)
    second_opinion: bool = Field(
        True, description="ask the learned model about roots and incidents' domains; false: rules"
    )
    model: Path | None = Field(
        None, description="a model file from `friction train`, instead of the packaged one"
    )


class Resolution(_Section):
    emoji: list[str] = Field(default_factory=lambda: ["white_check_mark", "heavy_check_mark"])


class People(_Section):
    tas: list[str] = Field(default_factory=list, description="Slack user ids of TAs")
    ta_group: str | None = Field(None, description="a Slack user group id whose members are TAs")
    leads: list[str] = Field(default_factory=list, description="Slack user ids of leads")


class Retention(_Section):
    retention_days: int | None = Field(
        None, ge=1, description="days after which message text is deleted; None keeps it"
    )


class FileConfig(_Section):
    """The TOML file's sections."""

    channels: Channels = Field(default_factory=Channels)
    classifier: Classifier = Field(default_factory=Classifier)
    resolution: Resolution = Field(default_factory=Resolution)
    people: People = Field(default_factory=People)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    retention: Retention = Field(default_factory=Retention)
    response: ResponseSettings = Field(default_factory=ResponseSettings)


class Settings(BaseSettings):
    """Everything the process is told from outside."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    database_url: str = Field(DEFAULT_URL, validation_alias="DATABASE_URL")
    friction_salt: SecretStr | None = Field(None, validation_alias="FRICTION_SALT")
    friction_config: Path | None = Field(None, validation_alias="FRICTION_CONFIG")
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")

    @cached_property
    def file(self) -> FileConfig:
        return load_file(self.friction_config)


def load_file(path: Path | None) -> FileConfig:
    """The TOML file at `path` (defaults when None), or a ConfigError naming the problem."""
    if path is None:
        return FileConfig()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"FRICTION_CONFIG names {path}, which does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    try:
        return FileConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def settings() -> Settings:
    """Settings from the environment, with the TOML file validated up front."""
    try:
        result = Settings()
    except ValidationError as exc:
        raise ConfigError(str(exc)) from None
    result.file  # noqa: B018  (validate the file now, not on first use)
    return result
