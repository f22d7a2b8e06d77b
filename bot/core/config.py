"""Settings from the environment (and an optional .env file) via pydantic-settings.

A missing or malformed value becomes one clear Vietnamese line (`ConfigError`),
never a traceback. Secrets are only read here and never logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.errors import ConfigError  # raised here, caught by the doors

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_file_encoding="utf-8")

    telegram_bot_token: SecretStr | None = None
    database_url: str = "sqlite:///data/planbot.db"
    plan_path: Path = Path("knowledge/plan.yaml")
    # where the plans admins activate are written from the database (default: a folder
    # "plans" beside the SQLite file)
    plans_dir: Path | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    timezone: str = "Asia/Ho_Chi_Minh"
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    log_level: str = "INFO"
    heartbeat_path: Path | None = None
    # answer in a process of its own beside the door (bot/app/brain_worker.py); unset:
    # when the machine has two cores or more and the database is a file
    brain_process: bool | None = None

    @field_validator("plans_dir", "heartbeat_path", "brain_process", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """`PLANS_DIR=` (empty, as .env.example leaves it) means the default, not «.»."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            bad = [p for p in parts if not p.lstrip("-").isdigit()]
            if bad:
                raise ValueError(
                    f"ADMIN_IDS phải là các số id Telegram cách nhau bằng dấu phẩy, ví dụ 111,222"
                    f" (giá trị sai: {', '.join(bad)})"
                )
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"TIMEZONE '{value}' không phải múi giờ hợp lệ, ví dụ Asia/Ho_Chi_Minh"
            ) from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError(
                "DATABASE_URL phải có dạng sqlite:///duong/dan.db (hoặc postgresql://… khi có backend)"
            )
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"]).upper() or "CẤU HÌNH"
            parts.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("Cấu hình không hợp lệ: " + "; ".join(parts)) from exc
