"""APScheduler wiring: which job runs when. All times are WIB; misfires are coalesced.

Triggers only say when to look: every job works out from `ctx.clock()` what is due, so a run
missed while the process was down is caught up by the next one (the jobs that matter also run
once right at start-up).

- renew_lease: every third of the lease's lifetime (a live holder keeps it);
- deadline_reminders: every 15 minutes on the quarter hour (a slot at REMINDER_HOUR:00 goes out
  at that minute; a slot missed during a downtime goes out within 15 minutes of the restart);
- month_closing: every hour at minute 1 (00:01 WIB right after the deadline day ends);
- order_hygiene: every 5 minutes;
- scheduled_broadcasts: every minute on the minute (the broadcast runner also looks by itself);
- forget_handled_updates: every hour (at minute 17).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler import jobs
from scheduler.jobs import JobContext

log = logging.getLogger(__name__)

JOB_DEFAULTS = {
    # A run missed while the process was busy or down is done once when it can, not repeated.
    "coalesce": True,
    "max_instances": 1,
    "misfire_grace_time": 3600,
}


def create_scheduler(ctx: JobContext) -> AsyncIOScheduler:
    tz = ctx.policy.tz
    scheduler = AsyncIOScheduler(timezone=tz, job_defaults=JOB_DEFAULTS)
    start = datetime.now(tz)  # real time: APScheduler's own clock

    def add(
        func: Callable[[JobContext], Awaitable[object]],
        trigger: BaseTrigger,
        *,
        at_start: bool = False,
        **options: Any,
    ) -> None:
        if at_start:
            options["next_run_time"] = start
        scheduler.add_job(
            logged(func), trigger, args=[ctx], id=func.__name__, replace_existing=True, **options
        )

    renew_every = max(1.0, ctx.lease.ttl.total_seconds() / 3)
    add(
        jobs.renew_lease,
        IntervalTrigger(seconds=renew_every, timezone=tz),
        at_start=True,
        misfire_grace_time=max(1, int(renew_every)),
    )
    add(jobs.deadline_reminders, CronTrigger(minute="0,15,30,45", timezone=tz), at_start=True)
    add(jobs.month_closing, CronTrigger(minute=1, timezone=tz), at_start=True)
    add(jobs.order_hygiene, IntervalTrigger(minutes=5, timezone=tz))
    add(jobs.scheduled_broadcasts, CronTrigger(second=0, timezone=tz), misfire_grace_time=60)
    add(jobs.forget_handled_updates, CronTrigger(minute=17, timezone=tz))
    add(jobs.weekly_showcase, CronTrigger(minute="2,32", timezone=tz), at_start=True)
    return scheduler


def logged(
    func: Callable[[JobContext], Awaitable[object]],
) -> Callable[[JobContext], Awaitable[object]]:
    """The job, with one log record per run: job, duration, outcome."""

    @functools.wraps(func)
    async def run(ctx: JobContext) -> object:
        started = time.perf_counter()
        outcome, figures = "error", None
        try:
            result = await func(ctx)
            # {} / False: nothing to do here (or another process holds the lease)
            outcome = "done" if result else "idle"
            figures = result if isinstance(result, dict) else None
            return result
        finally:
            log.info(
                "job",
                extra={
                    "job": func.__name__,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "outcome": outcome,
                    "figures": figures,  # counts only
                },
            )

    return run


def context_of(scheduler: AsyncIOScheduler) -> JobContext | None:
    """The JobContext the scheduler's jobs run with."""
    for job in scheduler.get_jobs():
        for arg in job.args:
            if isinstance(arg, JobContext):
                return arg
    return None


async def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    """Stop running jobs here and release the lease, so another process may take over now."""
    ctx = context_of(scheduler)
    scheduler.shutdown(wait=False)
    if ctx is not None and ctx.lease.held:
        try:
            await ctx.lease.release()
        except Exception:
            jobs.log.warning("could not release the scheduler lease", exc_info=True)
