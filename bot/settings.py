"""Application settings, read from the environment or a `.env` file."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.deadlines import ReminderPolicy
from services.hygiene import HygienePolicy
from services.policy import BroadcastPolicy, Policy
from services.quota import QuotaPolicy

DEFAULT_DB_PATH = Path("data") / "tukulokal.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DB_PATH.as_posix()}"
    redis_url: str | None = None
    redis_prefix: str = "tukulokal"  # of every key the bot writes in Redis
    telegram_api_url: str = "https://api.telegram.org"
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    timezone: str = "Asia/Jakarta"
    default_locale: str = "id"
    # Day of the month by which the minimum must be reached; 0 means the last day.
    quota_deadline_day: int = 0
    default_quota_minimum: int = 500_000
    page_size: int = 8
    db_echo: bool = False
    # "json": one JSON object a line (for journald / a log collector); "text": for people.
    log_format: Literal["text", "json"] = "text"

    # `tukulokal webhook`: where it listens (behind nginx), the public HTTPS address Telegram
    # posts to (WEBHOOK_URL + WEBHOOK_PATH) and the secret Telegram sends with each update.
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    webhook_path: str = "/telegram/webhook"
    webhook_url: str | None = None  # e.g. https://tukulokal.malangkota.go.id
    webhook_secret: SecretStr | None = None  # 1-256 of A-Z a-z 0-9 _ -
    webhook_secret_previous: SecretStr | None = None  # still accepted while rotating
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    webhook_concurrency: int = Field(default=16, ge=1)  # updates handled at once per worker
    webhook_answer_within: float = Field(default=5.0, gt=0)  # seconds; then on in background
    # Set the webhook at start (the first worker does it; the others find it set).
    webhook_register: bool = True
    # `tukulokal scheduler`: its health endpoints (0: none).
    health_port: int = Field(default=0, ge=0, le=65535)

    # Scheduled jobs run inside the bot process unless disabled (then `tukulokal scheduler`).
    scheduler_enabled: bool = True
    order_nudge_hours: int = 24  # pending order: remind the shop once
    order_expire_hours: int = 48  # pending order: expire, release stock
    payment_reminder_days: int = 3  # accepted, unpaid: remind the buyer once
    autocomplete_days: int = 7  # ready/shipped, unconfirmed: complete
    staff_invite_hours: int = 48  # a shop owner's staff invitation link stays valid this long
    # Deadline reminders: days before the deadline day (e.g. REMINDER_OFFSETS=7,3,1), at this
    # hour (WIB), to each ASN still below the minimum.
    reminder_offsets: Annotated[tuple[int, ...], NoDecode] = (7, 3, 1)
    reminder_hour: int = Field(default=9, ge=0, le=23)
    # The process running the jobs holds a lease this long and renews it every third of it;
    # if it dies, another process takes over once the lease has expired.
    scheduler_lease_seconds: float = Field(default=90.0, ge=5)

    # Broadcasts: messages per second to different chats (Telegram allows about 30).
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    # Answers to users a second that go out beside a broadcast before it slows down for them.
    broadcast_answer_headroom: float = Field(default=5.0, ge=0)
    broadcast_max_attempts: int = Field(default=3, ge=1)  # 5xx and network errors
    broadcast_retry_backoff: float = 1.0  # seconds before the first retry, doubled after
    broadcast_progress_seconds: float = 3.0  # edit the progress message at most this often
    broadcast_poll_seconds: float = 15.0  # how often due scheduled broadcasts are looked for
    # Telegram's paid broadcasts (allow_paid_broadcast, 0.1 Star a message beyond the free
    # 30/s, from the bot's Stars balance): broadcasts go at PAID_BROADCAST_RATE instead.
    allow_paid_broadcast: bool = False
    paid_broadcast_rate: float = Field(default=1000.0, gt=0, le=1000)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = value.replace(";", ",").split(",")
            return frozenset(int(part) for part in parts if part.strip())
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _split_offsets(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            value = [value]
        if isinstance(value, list | tuple | set | frozenset):
            offsets = sorted({int(v) for v in value}, reverse=True)
            if any(not 0 <= v <= 27 for v in offsets):
                raise ValueError("REMINDER_OFFSETS must be days between 0 and 27")
            return tuple(offsets)
        return value

    @field_validator("webhook_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("WEBHOOK_PATH must start with /")
        return value

    @field_validator("webhook_secret", "webhook_secret_previous")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule (Client::do_set_webhook): 1-256 characters A-Z, a-z, 0-9, _ and -.
        secret = value.get_secret_value() if value is not None else None
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("quota_deadline_day")
    @classmethod
    def _check_day(cls, value: int) -> int:
        if not 0 <= value <= 31:
            raise ValueError("QUOTA_DEADLINE_DAY must be 0 (last day) or 1-31")
        return value

    @field_validator("default_locale")
    @classmethod
    def _check_locale(cls, value: str) -> str:
        if value not in ("id", "en"):
            raise ValueError("DEFAULT_LOCALE must be 'id' or 'en'")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def policy(self) -> Policy:
        """The configured rules, as services, screens, jobs and delivery take them."""
        tz = self.tz
        return Policy(
            tz=tz,
            quota=QuotaPolicy(
                tz=tz,
                default_minimum=self.default_quota_minimum,
                deadline_day=self.quota_deadline_day,
            ),
            hygiene=HygienePolicy(
                nudge_after=timedelta(hours=self.order_nudge_hours),
                expire_after=timedelta(hours=self.order_expire_hours),
                remind_payment_after=timedelta(days=self.payment_reminder_days),
                autocomplete_after=timedelta(days=self.autocomplete_days),
            ),
            reminders=ReminderPolicy(
                offsets=tuple(self.reminder_offsets), hour=self.reminder_hour
            ),
            broadcasts=BroadcastPolicy(
                rate=self.broadcast_rate,
                answer_headroom=self.broadcast_answer_headroom,
                max_attempts=self.broadcast_max_attempts,
                retry_backoff=self.broadcast_retry_backoff,
                progress_seconds=self.broadcast_progress_seconds,
                poll_seconds=self.broadcast_poll_seconds,
                paid=self.allow_paid_broadcast,
                paid_rate=self.paid_broadcast_rate,
            ),
            admin_ids=self.admin_ids,
            default_locale=self.default_locale,
            page_size=self.page_size,
            staff_invite_hours=self.staff_invite_hours,
            lease_ttl=timedelta(seconds=self.scheduler_lease_seconds),
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
