"""Background work of the bot process: sending broadcasts.

`BroadcastRunner` starts with the dispatcher. On start it puts back the deliveries the
previous process left "sending" (they were in flight when it stopped) and resumes every
running broadcast; it then looks for due scheduled broadcasts every few seconds, or at once
when woken (a broadcast was confirmed, resumed, ...). `run_due_broadcasts` is that look, a
plain async function a scheduler may call as well.

Sending happens in tasks beside the polling loop, through the process's rate-limited
`Sender`, so users' updates are answered while a broadcast runs. Only one process sends
broadcasts: with a `lease` (the "broadcasts" lease, renewed at every look), a runner looks for
work only while it holds it, puts back the deliveries left in flight when it takes the lease
over (the previous holder stopped), and stops its jobs if it ever loses it. Bot processes and
`tukulokal scheduler` may all run a runner; the scheduler also calls `poll()` on the minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup

from delivery.sender import MakeMessage, Outcome, Sender, SendResult
from models import Broadcast, BroadcastStatus
from models.db import Database
from models.tables import stored_id
from services import broadcasts as svc
from services.leases import Lease
from services.policy import Policy
from services.users import get_user
from views import broadcasts as views
from views.i18n import get_i18n, pick_locale

log = logging.getLogger(__name__)
B = BroadcastStatus


class BroadcastRunner:
    def __init__(
        self,
        *,
        bot: Bot,
        db: Database,
        policy: Policy,
        clock: Callable[[], datetime],
        sender: Sender,
        lease: Lease | None = None,
    ) -> None:
        self.bot = bot
        self.db = db
        self.policy = policy
        self.clock = clock
        self.sender = sender
        self.lease = lease  # None: this process is the only one sending broadcasts
        self.jobs: dict[int, BroadcastJob] = {}
        self._tasks: dict[int, asyncio.Task] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task | None = None
        self._leading = False
        self._poll_lock = asyncio.Lock()
        self._closing = False

    async def start(self) -> None:
        if self.lease is None:
            await self._reset_in_flight()
            self._leading = True
        else:
            await self._lead()
        self._loop_task = asyncio.create_task(self._loop(), name="broadcast-runner")

    async def _reset_in_flight(self) -> None:
        async with self.db.session() as session:
            reset = await svc.reset_in_flight(session)
        if reset:
            log.info("broadcasts: %s deliveries were in flight at the last stop, resending", reset)

    async def _lead(self) -> bool:
        """Whether this process sends broadcasts now (takes or renews the lease)."""
        if self.lease is None:
            return True
        held = await self.lease.acquire()
        if held and not self._leading:
            self._leading = True
            await self._reset_in_flight()  # the previous holder stopped: resume its work
        elif not held and self._leading:
            self._leading = False
            log.warning("broadcasts: another process took over sending; stopping here")
            await self._stop_jobs()
        return held

    async def _stop_jobs(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self.jobs.clear()

    async def stop(self) -> None:
        self._closing = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        await self._stop_jobs()
        if self.lease is not None and self._leading:
            self._leading = False
            try:
                await self.lease.release()
            except Exception:
                log.warning("broadcasts: could not release the lease", exc_info=True)

    async def poll(self) -> list[int]:
        """Look for work now: start due broadcasts, keep running ones sent (if leading).

        Returns the ids of the broadcasts started now.
        """
        async with self._poll_lock:
            if not await self._lead():
                return []
            return await run_due_broadcasts(self)

    def wake(self) -> None:
        """Look for work now (a broadcast was confirmed, resumed, paused or cancelled)."""
        self._wake.set()

    def refresh(self, broadcast_id: int) -> None:
        """Its status changed (paused, cancelled): the running job re-reads it at once."""
        job = self.jobs.get(broadcast_id)
        if job is not None:
            job.status_changed()
        self.wake()

    def is_running(self, broadcast_id: int) -> bool:
        task = self._tasks.get(broadcast_id)
        return task is not None and not task.done()

    def ensure_job(self, broadcast_id: int) -> None:
        if self.is_running(broadcast_id):
            return
        job = BroadcastJob(self, broadcast_id)
        self.jobs[broadcast_id] = job
        task = asyncio.create_task(job.run(), name=f"broadcast-{broadcast_id}")
        self._tasks[broadcast_id] = task
        task.add_done_callback(lambda done: self._job_done(broadcast_id, done))

    def _job_done(self, broadcast_id: int, task: asyncio.Task) -> None:
        if self._tasks.get(broadcast_id) is task:
            self._tasks.pop(broadcast_id, None)
            self.jobs.pop(broadcast_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("broadcast %s stopped", broadcast_id, exc_info=task.exception())
        self.wake()  # resumed while it was winding down? start it again

    async def _loop(self) -> None:
        while not self._closing:
            try:
                await self.poll()
            except Exception:
                log.exception("looking for broadcasts failed")
            # asyncio.timeout, not wait_for: Python 3.11's wait_for may swallow a cancellation
            # that arrives as the event is set (stop() then waited for this loop forever).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.policy.broadcasts.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()


async def run_due_broadcasts(runner: BroadcastRunner) -> list[int]:
    """Start due scheduled broadcasts and make sure every running one is being sent.

    Returns the ids of the broadcasts started now.
    """
    async with runner.db.session() as session:
        started = await svc.start_due(
            session,
            now=runner.clock(),
            policy=runner.policy.quota,
            admin_ids=runner.policy.admin_ids,
        )
        running = await svc.running_ids(session)
    for broadcast_id in running:
        runner.ensure_job(broadcast_id)
    for broadcast_id in started:
        if broadcast_id not in running:  # nobody to send to: finished at once
            await BroadcastJob(runner, broadcast_id).report_end()
    return started


class BroadcastJob:
    """Sends one broadcast until it is done, paused or cancelled; shows its progress."""

    def __init__(self, runner: BroadcastRunner, broadcast_id: int) -> None:
        self.runner = runner
        self.id = broadcast_id
        self.db = runner.db
        self.sender = runner.sender
        self._stopping = False
        self._check_status = asyncio.Event()
        self._outcomes: list[svc.Outcome] = []
        self._skipped: list[int] = []
        self._have_outcomes = asyncio.Event()
        self._makers: dict[str, MakeMessage] = {}
        self._sent_here = 0
        self._started = time.monotonic()
        self.broadcast: Broadcast | None = None
        self._last_shown: tuple[str, str] | None = None

    def status_changed(self) -> None:
        self._check_status.set()

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_outcomes())
        watcher = asyncio.create_task(self._watch())
        try:
            while True:
                self.broadcast = await self._load()
                if self.broadcast is None or self.broadcast.status != B.RUNNING:
                    break
                self._stopping = False
                self._prepare_makers(self.broadcast)
                await self.sender.send_batch(self._claims(), self._prepare, self._on_result)
                await self._flush()
                async with self.db.session() as session:
                    await svc.release(session, self.id, self._skipped)
                self._skipped.clear()
                async with self.db.session() as session:
                    finished = await svc.finish(session, self.id, now=self.runner.clock())
                if finished:
                    await self.report_end()
                    return
                current = await self._load()
                if current is None or current.status != B.RUNNING:
                    self.broadcast = current
                    if current is not None and current.status == B.CANCELLED:
                        await self.report_end()
                    else:
                        await self._show_progress()
                    return
                await asyncio.sleep(0.2)  # running, yet nothing claimable: look again
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            await self._flush()
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    async def _load(self) -> Broadcast | None:
        async with self.db.session() as session:
            return await svc.load(session, self.id)

    # -------------------------------------------------------------- sending

    def _prepare_makers(self, broadcast: Broadcast) -> None:
        i18n = get_i18n()
        for locale in i18n.available_locales:
            with i18n.context(), i18n.use_locale(locale):
                self._makers[locale] = views.broadcast_sender(
                    broadcast, paid=self.runner.policy.broadcasts.paid
                )

    async def _claims(self) -> AsyncIterator[svc.Recipient]:
        size = self.sender.default_concurrency()
        while not self._stopping:
            async with self.db.session() as session:
                batch = await svc.claim(session, self.id, size)
            if not batch:
                return
            for index, recipient in enumerate(batch):
                if self._stopping:  # paused or cancelled: give the rest back
                    self._skipped.extend(r.user_id for r in batch[index:])
                    return
                yield recipient

    def _prepare(self, recipient: svc.Recipient) -> tuple[int, MakeMessage] | None:
        if self._stopping:
            return None
        locale = pick_locale(recipient.language, recipient.telegram_language)
        make = self._makers.get(locale) or next(iter(self._makers.values()))
        return recipient.telegram_id, make

    def _on_result(self, recipient: svc.Recipient, result: SendResult) -> None:
        if result.outcome is Outcome.SKIPPED:
            self._skipped.append(recipient.user_id)
            return
        self._sent_here += 1
        self._outcomes.append(svc.Outcome(recipient.user_id, result.outcome.value, result.error))
        self._have_outcomes.set()

    async def _write_outcomes(self) -> None:
        """Store outcomes as soon as they come (all that arrived meanwhile in one go)."""
        while True:
            await self._have_outcomes.wait()
            self._have_outcomes.clear()
            await self._flush()

    async def _flush(self) -> None:
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            for attempt in range(5):
                try:
                    async with self.db.session() as session:
                        await svc.record(session, self.id, batch, now=self.runner.clock())
                    break
                except Exception:
                    log.exception("storing broadcast outcomes failed (attempt %s)", attempt + 1)
                    await asyncio.sleep(0.5 * (attempt + 1))

    # -------------------------------------------------------------- status and progress

    async def _watch(self) -> None:
        """Re-read the status when told or every few seconds; show the progress meanwhile."""
        interval = self.runner.policy.broadcasts.progress_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._check_status.wait(), interval)
            self._check_status.clear()
            current = await self._load()
            if current is None:
                return
            self.broadcast = current
            if current.status != B.RUNNING:
                self._stopping = True
            await self._show_progress()

    def _rate(self) -> float | None:
        elapsed = time.monotonic() - self._started
        if self._sent_here < 2 or elapsed <= 0:
            return None
        return self._sent_here / elapsed

    async def _creator_locale(self, broadcast: Broadcast) -> str:
        async with self.db.session() as session:
            user = await get_user(session, broadcast.created_by)
        if user is None:
            return self.runner.policy.default_locale
        return pick_locale(user.language, user.telegram_language)

    async def _show_progress(self) -> None:
        broadcast = self.broadcast
        if broadcast is None:
            return
        async with self.db.session() as session:
            stats = await svc.stats(session, self.id)
        locale = await self._creator_locale(broadcast)
        i18n = get_i18n()
        with i18n.context(), i18n.use_locale(locale):
            text = views.progress_text(broadcast, stats, locale, rate=self._rate())
            markup = views.control_markup(broadcast)
        await self._edit_progress(broadcast, text, markup)

    async def _edit_progress(
        self,
        broadcast: Broadcast,
        text: str,
        markup: InlineKeyboardMarkup | None,
        *,
        create: bool = True,
    ) -> None:
        shown = (text, repr(markup))
        if shown == self._last_shown:
            return
        bot = self.runner.bot
        try:
            if broadcast.progress_message_id:
                try:
                    await bot.edit_message_text(
                        text,
                        chat_id=broadcast.created_by,
                        message_id=broadcast.progress_message_id,
                        reply_markup=markup,
                    )
                    self._last_shown = shown
                    return
                except TelegramBadRequest as exc:
                    if "not modified" in exc.message:
                        return
                    if "not found" not in exc.message:
                        raise
            if not create:
                return
            message = await bot.send_message(broadcast.created_by, text, reply_markup=markup)
            broadcast.progress_message_id = message.message_id
            async with self.db.session() as session:
                await svc.set_progress_message(
                    session, stored_id(broadcast.id), message.message_id
                )
            self._last_shown = shown
        except TelegramAPIError as exc:  # the creator blocked the bot, ...: keep sending
            log.info("broadcast %s: progress not shown: %s", self.id, exc)

    async def report_end(self) -> None:
        """The final figures: the progress message shows them, and a report is sent."""
        self.broadcast = await self._load()
        broadcast = self.broadcast
        if broadcast is None:
            return
        async with self.db.session() as session:
            stats = await svc.stats(session, self.id)
        locale = await self._creator_locale(broadcast)
        i18n = get_i18n()
        tz = self.runner.policy.tz
        with i18n.context(), i18n.use_locale(locale):
            progress = views.progress_text(broadcast, stats, locale)
            report = views.report_text(broadcast, stats, locale, tz)
            markup = views.control_markup(broadcast, stats)
        await self._edit_progress(broadcast, progress, None, create=False)
        try:
            await self.runner.bot.send_message(broadcast.created_by, report, reply_markup=markup)
        except TelegramAPIError as exc:
            log.info("broadcast %s: report not delivered: %s", self.id, exc)
