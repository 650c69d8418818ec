from datetime import UTC, datetime, timedelta

from services.leases import Lease


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_one_holder_at_a_time_and_takeover_after_expiry(db):
    clock = Clock()
    first = Lease(db, clock, holder="a", ttl=timedelta(seconds=60))
    second = Lease(db, clock, holder="b", ttl=timedelta(seconds=60))
    assert await first.acquire()
    assert not await second.acquire()
    clock.now += timedelta(seconds=30)
    assert await first.acquire()  # renewed
    clock.now += timedelta(seconds=45)
    assert not await second.acquire()  # still within the renewed lease
    clock.now += timedelta(seconds=20)  # the holder died and stopped renewing
    assert await second.acquire()
    assert not await first.acquire()
    await second.release()
    assert await first.acquire()


async def test_jobs_of_one_process_asking_at_once_all_get_it_and_others_do_not(db):
    import asyncio

    from models.db import Database

    clock = Clock()
    mine = Lease(db, clock, holder="a", ttl=timedelta(seconds=60))
    assert all(await asyncio.gather(*(mine.acquire() for _ in range(5))))
    other_db = Database(db.url)
    try:
        others = [Lease(other_db, clock, holder=f"b{i}") for i in range(3)]
        assert not any(await asyncio.gather(*(o.acquire() for o in others)))
        clock.now += timedelta(seconds=61)  # "a" stopped renewing: exactly one takes over
        taken = await asyncio.gather(*(o.acquire() for o in others))
        assert sorted(taken) == [False, False, True]
        assert not await mine.acquire()
    finally:
        await other_db.dispose()


async def test_a_fresh_lease_is_not_written_again_until_a_third_of_it_passed(db):
    from sqlmodel import select

    from models import SchedulerLease

    clock = Clock()
    lease = Lease(db, clock, holder="a", ttl=timedelta(seconds=90))
    assert await lease.acquire()
    first = clock.now + timedelta(seconds=90)
    clock.now += timedelta(seconds=29)
    assert await lease.acquire()
    async with db.session() as session:
        row = (await session.exec(select(SchedulerLease))).one()
    assert row.expires_at.replace(tzinfo=UTC) == first  # no write needed yet
    clock.now += timedelta(seconds=2)
    assert await lease.acquire()
    async with db.session() as session:
        row = (await session.exec(select(SchedulerLease))).one()
    assert row.expires_at.replace(tzinfo=UTC) == clock.now + timedelta(seconds=90)
