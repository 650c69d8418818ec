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
from services.fairness import FairnessPolicy
from services.hygiene import HygienePolicy
from services.outside import OutsidePolicy
from services.policy import BroadcastPolicy, Policy
from services.quota import QuotaPolicy
from services.redflags import RedFlagPolicy

DEFAULT_DB_PATH = Path("data") / "tukulokal.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DB_PATH.as_posix()}"
    redis_url: str | None = None
    redis_prefix: str = "tukulokal"  # of every key the bot writes in Redis
    # Seconds a user's lock outlives a worker killed while it handled their update (renewed
    # every third of it while the update is handled).
    redis_lock_ttl: float = Field(default=10.0, ge=1)
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
    # Seconds an update may wait for a slot and its user's lock before it is answered 429
    # (below nginx's proxy_read_timeout of 30 s).
    webhook_wait_limit: float = Field(default=20.0, gt=0)
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
    # Money spreads: a shop's paid sales per WIB month up to the cap (0: no cap), then ranked
    # last ("last") or hidden ("hide") until the 1st; fair ranking of equally relevant products.
    shop_monthly_cap: int = Field(default=30_000_000, ge=0)
    capped_shops: Literal["last", "hide"] = "last"
    fair_ranking: bool = True
    # Red flags (services.redflags): thresholds of the rules.
    red_flag_pair_share: float = Field(default=0.8, gt=0, le=1)
    red_flag_rush_hours: int = Field(default=48, ge=1)
    red_flag_large_order: int = Field(default=1_000_000, ge=0)
    red_flag_price_raise_hours: int = Field(default=72, ge=1)
    red_flag_split_minutes: int = Field(default=30, ge=1)
    red_flag_split_orders: int = Field(default=3, ge=2)
    red_flag_odd_hours: str = "23-5"  # WIB hours "from-to" (to exclusive)
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

    # Purchases outside the catalog: the share of the minimum they may cover (percent; per
    # month administrators may set another), how long after last month's deadline it may
    # still be reported, and what the verifier is warned about.
    outside_share_percent: int = Field(default=50, ge=0, le=100)
    outside_grace_days: int = Field(default=5, ge=0, le=27)
    outside_flag_amount: int = Field(default=1_000_000, ge=0)
    outside_exif_days: int = Field(default=3, ge=0)
    outside_rush_days: int = Field(default=2, ge=0)
    outside_rush_count: int = Field(default=3, ge=1)
    # A declared outage moves the month's deadline by this many days (0: its own length,
    # rounded up to whole days).
    outage_credit_days: int = Field(default=0, ge=0, le=31)
    # The weekly showcase album: a public channel (@username or its id) where the bot is an
    # administrator; the day (monday..sunday, senin..minggu, or 1-7 from Monday) and the hour
    # (WIB) it is posted.
    showcase_channel: str | None = None
    showcase_day: int = 5
    showcase_hour: int = Field(default=10, ge=0, le=23)

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

    @field_validator("red_flag_odd_hours")
    @classmethod
    def _check_hours(cls, value: str) -> str:
        parts = value.replace(" ", "").split("-")
        if len(parts) != 2 or not all(p.isdigit() and 0 <= int(p) <= 23 for p in parts):
            raise ValueError("RED_FLAG_ODD_HOURS must be two WIB hours, e.g. 23-5")
        return "-".join(str(int(p)) for p in parts)

    @field_validator("showcase_day", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> object:
        names = (
            ("monday", "senin"), ("tuesday", "selasa"), ("wednesday", "rabu"),
            ("thursday", "kamis"), ("friday", "jumat"), ("saturday", "sabtu"),
            ("sunday", "minggu"),
        )  # fmt: skip
        if isinstance(value, str) and not value.strip().isdigit():
            key = value.strip().lower().replace("'", "")
            for number, pair in enumerate(names, start=1):
                if key in pair:
                    return number
            raise ValueError("SHOWCASE_DAY must be a weekday name or 1-7 (1 = Monday)")
        if not 1 <= int(str(value)) <= 7:
            raise ValueError("SHOWCASE_DAY must be a weekday name or 1-7 (1 = Monday)")
        return int(str(value))

    @field_validator("showcase_channel", mode="before")
    @classmethod
    def _channel(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
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
    def odd_hours(self) -> tuple[int, int]:
        start, end = self.red_flag_odd_hours.split("-")
        return int(start), int(end)

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
                outside_share=self.outside_share_percent,
            ),
            outside=OutsidePolicy(
                grace_days=self.outside_grace_days,
                flag_amount=self.outside_flag_amount,
                exif_days=self.outside_exif_days,
                rush_days=self.outside_rush_days,
                rush_count=self.outside_rush_count,
                outage_credit_days=self.outage_credit_days,
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
            fairness=FairnessPolicy(
                monthly_cap=self.shop_monthly_cap,
                hide_capped=self.capped_shops == "hide",
                ranking=self.fair_ranking,
            ),
            red_flags=RedFlagPolicy(
                pair_share=self.red_flag_pair_share,
                rush_hours=self.red_flag_rush_hours,
                large_order=self.red_flag_large_order,
                price_raise_hours=self.red_flag_price_raise_hours,
                split_minutes=self.red_flag_split_minutes,
                split_orders=self.red_flag_split_orders,
                odd_from=self.odd_hours[0],
                odd_to=self.odd_hours[1],
            ),
            admin_ids=self.admin_ids,
            default_locale=self.default_locale,
            page_size=self.page_size,
            staff_invite_hours=self.staff_invite_hours,
            lease_ttl=timedelta(seconds=self.scheduler_lease_seconds),
            showcase_channel=self.showcase_channel,
            showcase_weekday=self.showcase_day - 1,
            showcase_hour=self.showcase_hour,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
