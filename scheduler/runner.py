"""APScheduler wiring: which job runs when. All times are WIB; misfires are coalesced."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler import jobs
from scheduler.jobs import JobContext

JOB_DEFAULTS = {
    # A run missed while the process was busy or down is done once when it can, not repeated.
    "coalesce": True,
    "max_instances": 1,
    "misfire_grace_time": 3600,
}


def create_scheduler(ctx: JobContext) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=ctx.settings.tz, job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        jobs.order_hygiene,
        IntervalTrigger(minutes=5, timezone=ctx.settings.tz),
        args=[ctx],
        id="order_hygiene",
        replace_existing=True,
    )
    return scheduler
