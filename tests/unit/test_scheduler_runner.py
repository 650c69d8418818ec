"""Which job runs when: cron triggers in WIB, explicit misfire and coalescing settings."""

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.settings import Settings
from scheduler.jobs import JobContext
from scheduler.runner import JOB_DEFAULTS, context_of, create_scheduler
from services.leases import Lease

WIB = ZoneInfo("Asia/Jakarta")


def test_jobs_are_wired_with_wib_triggers(db):
    settings = Settings(_env_file=None, database_url=db.url)
    ctx = JobContext(
        db, None, settings.policy(), lambda: datetime.now(WIB), Lease(db, datetime.now)
    )  # type: ignore[arg-type]
    scheduler = create_scheduler(ctx)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "renew_lease",
        "deadline_reminders",
        "month_closing",
        "order_hygiene",
        "scheduled_broadcasts",
        "forget_handled_updates",
        "weekly_showcase",
    }
    assert context_of(scheduler) is ctx
    assert JOB_DEFAULTS == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}

    def next_fire(job_id: str, after: datetime) -> datetime:
        return jobs[job_id].trigger.get_next_fire_time(None, after)

    before_nine = datetime(2026, 11, 23, 8, 50, tzinfo=WIB)
    assert next_fire("deadline_reminders", before_nine) == datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
    before_midnight = datetime(2026, 11, 30, 23, 59, tzinfo=WIB)
    assert next_fire("month_closing", before_midnight) == datetime(2026, 12, 1, 0, 1, tzinfo=WIB)
    assert jobs["renew_lease"].trigger.interval.total_seconds() == 30  # a third of 90 s
    # The showcase is looked at twice an hour (it posts once its day and hour have come).
    friday = datetime(2026, 11, 27, 9, 50, tzinfo=WIB)
    assert next_fire("weekly_showcase", friday) == datetime(2026, 11, 27, 10, 2, tzinfo=WIB)
    assert jobs["scheduled_broadcasts"].trigger.get_next_fire_time(
        None, datetime(2026, 11, 23, 8, 59, 30, tzinfo=WIB)
    ) == datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
