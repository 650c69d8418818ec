from datetime import UTC, datetime, timedelta

from scheduler.lease import Lease


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
