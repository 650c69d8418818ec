"""The rules the city configures, as the services and screens need them.

`bot.settings.Settings` reads the environment; `Settings.policy()` turns it into this one
frozen object, handed to handlers (`policy`), jobs and delivery. Nothing below `bot/` reads the
environment or imports the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.deadlines import ReminderPolicy
from services.fairness import FairnessPolicy
from services.hygiene import HygienePolicy
from services.outside import OutsidePolicy
from services.quota import QuotaPolicy
from services.redflags import RedFlagPolicy

WIB = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class BroadcastPolicy:
    """How bulk sending paces itself (Telegram allows about 30 messages a second)."""

    rate: float = 25.0  # messages per second to different chats
    answer_headroom: float = 5.0  # answers a second beside a broadcast before it yields
    max_attempts: int = 3  # 5xx and network errors
    retry_backoff: float = 1.0  # seconds before the first retry, doubled after
    progress_seconds: float = 3.0  # edit the progress message at most this often
    poll_seconds: float = 15.0  # how often due scheduled broadcasts are looked for
    paid: bool = False  # Telegram's allow_paid_broadcast: up to 1,000/s, paid in Stars
    paid_rate: float = 1000.0  # messages per second when paid

    @property
    def send_rate(self) -> float:
        """The rate broadcasts go at."""
        return self.paid_rate if self.paid else self.rate


@dataclass(frozen=True)
class Policy:
    tz: ZoneInfo = WIB
    quota: QuotaPolicy = field(default_factory=lambda: QuotaPolicy(tz=WIB))
    hygiene: HygienePolicy = field(default_factory=HygienePolicy)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    broadcasts: BroadcastPolicy = field(default_factory=BroadcastPolicy)
    outside: OutsidePolicy = field(default_factory=OutsidePolicy)
    fairness: FairnessPolicy = field(default_factory=FairnessPolicy)
    red_flags: RedFlagPolicy = field(default_factory=RedFlagPolicy)
    # Administrators named in the configuration (ADMIN_IDS); more are added in the chat.
    admin_ids: frozenset[int] = frozenset()
    default_locale: str = "id"
    page_size: int = 8
    staff_invite_hours: int = 48
    lease_ttl: timedelta = timedelta(seconds=90)
    # The weekly showcase album: the channel (@username or id; None: off), the day (0 =
    # Monday) and the hour (WIB).
    showcase_channel: str | None = None
    showcase_weekday: int = 4
    showcase_hour: int = 10
