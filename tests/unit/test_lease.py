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


async def test_a_dead_holder_on_this_host_is_taken_over_at_once_a_live_one_never(db):
    import asyncio
    import os
    import socket
    import sys

    clock = Clock()
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await child.wait()  # a process that ran here and is gone
    host = socket.gethostname()
    dead = Lease(db, clock, holder=f"{host}:{child.pid}:dead", ttl=timedelta(seconds=90))
    assert await dead.acquire()
    alive = Lease(db, clock, holder=f"{host}:{os.getppid()}:alive", ttl=timedelta(seconds=90))
    me = Lease(db, clock, ttl=timedelta(seconds=90))
    assert await me.acquire()  # no need to wait 90 s for the dead one's lease
    assert not await alive.acquire()
    await me.release()
    assert await alive.acquire()  # a live holder (the test's parent process) ...
    assert not await me.acquire()  # ... is never taken over before its lease expires
    elsewhere = Lease(db, clock, holder="other-host:1:x", ttl=timedelta(seconds=90))
    assert not await elsewhere.acquire()


async def test_postgres_advisory_lease_dies_with_its_connection_and_never_doubles(pg_db):
    from models.db import Database

    clock = Clock()
    other_db = Database(pg_db.url)
    try:
        first = Lease(pg_db, clock, ttl=timedelta(seconds=60), advisory=True)
        second = Lease(other_db, clock, ttl=timedelta(seconds=60), advisory=True)
        assert await first.acquire()
        assert not await second.acquire()
        clock.now += timedelta(hours=1)  # a live holder keeps it whatever the clocks say
        assert not await second.acquire()
        assert await first.acquire()
        assert first._conn is not None
        # The holder's connection dies (as with its process): the lock is gone at once.
        await first._conn.invalidate()
        assert await second.acquire()
        assert not await first.acquire()
        await second.release()
        assert await first.acquire()
        from sqlmodel import select

        from models import SchedulerLease

        async with pg_db.session() as session:
            row = (await session.exec(select(SchedulerLease))).one()
        assert row.holder == first.holder
        await first.release()
    finally:
        await other_db.dispose()
