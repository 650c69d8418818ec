"""Purchases outside the catalog, exemption requests and outages: the services."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw, ImageFilter

from models import MonthClosing, User
from services import appeals, outages, outside
from services.deadlines import ReminderPolicy, slots_in
from services.errors import Forbidden, ServiceError
from services.quota import QuotaPolicy, quota_status
from services.roles import RoleKind, Roles
from tests import factories as f

WIB = ZoneInfo("Asia/Jakarta")
QUOTA = QuotaPolicy(tz=WIB)
POLICY = outside.OutsidePolicy()
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 27 November, 10:00 WIB
ADMIN = Roles(900, frozenset({RoleKind.ADMIN}))


def _picture(seed: int) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randint(0, 255) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = rng.randint(-100, 600), rng.randint(-100, 440)
        draw.ellipse(
            (x, y, x + rng.randint(40, 300), y + rng.randint(40, 300)),
            fill=tuple(rng.randint(0, 255) for _ in range(3)),
        )
    return image.filter(ImageFilter.GaussianBlur(2))


def _jpeg(image: Image.Image, quality: int = 90, exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    if exif is None:
        image.save(buffer, format="JPEG", quality=quality)
    else:
        image.save(buffer, format="JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "box",
    [
        (0.05, 0.05, 1.0, 1.0),
        (0.0, 0.0, 0.95, 0.95),
        (0.025, 0.025, 0.975, 0.975),
        (0.05, 0.0, 1.0, 1.0),
        (0.0, 0.0, 1.0, 1.0),
    ],
)
def test_a_photo_recompressed_and_cropped_up_to_5_percent_is_the_same(box):
    original = _picture(1)
    w, h = original.size
    crop = original.crop((int(w * box[0]), int(h * box[1]), int(w * box[2]), int(h * box[3])))
    again = outside.fingerprint(_jpeg(crop.resize((500, 380)), quality=50))
    first = outside.fingerprint(_jpeg(original))
    assert outside.same_picture(first, again) and outside.same_picture(again, first)


def test_different_photos_are_not_the_same():
    first = outside.fingerprint(_jpeg(_picture(1)))
    others = [outside.fingerprint(_jpeg(_picture(seed))) for seed in range(2, 30)]
    assert not any(outside.same_picture(first, other) for other in others)


def test_the_exif_date_is_read_and_garbage_is_refused():
    exif = Image.Exif()
    exif[306] = "2026:11:20 08:15:00"
    found = outside.fingerprint(_jpeg(_picture(2), exif=exif.tobytes()))
    assert found.exif_date == date(2026, 11, 20)
    assert outside.fingerprint(_jpeg(_picture(2))).exif_date is None
    with pytest.raises(ServiceError) as refused:
        outside.fingerprint(b"not a picture")
    assert refused.value.code == "photo_invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27", date(2026, 11, 27)),
        ("3", date(2026, 11, 3)),
        ("28", date(2026, 10, 28)),  # later than today: last month's
        ("3/11", date(2026, 11, 3)),
        ("03-11-2026", date(2026, 11, 3)),
        ("3.11.26", date(2026, 11, 3)),
        ("2026-11-03", date(2026, 11, 3)),
    ],
)
def test_dates_are_read_day_first(text, expected):
    assert outside.parse_date(text, today=date(2026, 11, 27)) == expected


@pytest.mark.parametrize("text", ["", "kemarin", "31/11", "1/2/3/4", "٣"])
def test_bad_dates_are_refused(text):
    with pytest.raises(ServiceError) as refused:
        outside.parse_date(text, today=date(2026, 11, 27))
    assert refused.value.code == "outside_date_invalid"


async def test_last_month_may_be_reported_until_the_grace_days_end(session):
    early_december = datetime(2026, 12, 5, 10, tzinfo=WIB)
    assert await outside.open_months(session, now=early_december, quota=QUOTA, policy=POLICY) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
    ]
    later = datetime(2026, 12, 6, 0, 0, tzinfo=WIB)  # 30 Nov deadline + 5 days
    assert await outside.open_months(session, now=later, quota=QUOTA, policy=POLICY) == [
        date(2026, 12, 1)
    ]
    with pytest.raises(ServiceError) as refused:
        await outside.check_date(
            session, date(2026, 11, 30), now=later, quota=QUOTA, policy=POLICY
        )
    assert refused.value.code == "outside_date_out_of_range"
    with pytest.raises(ServiceError):  # never in the future
        await outside.check_date(session, date(2026, 12, 7), now=later, quota=QUOTA, policy=POLICY)


async def _submitted(session, user: User, amount: int = 100_000, seed: int = 1) -> int:
    await outside.add_photo(
        session, user, file_id=f"photo{seed}", data=_jpeg(_picture(seed)), now=NOW
    )
    draft = outside.Draft(
        "Warung Bu Sri", "Lowokwaru", "Tlogomas", "nasi pecel", amount, date(2026, 11, 27)
    )
    purchase = await outside.submit(session, user, draft, now=NOW, quota=QUOTA, policy=POLICY)
    assert purchase.id is not None
    return purchase.id


async def test_only_the_asns_opd_operator_and_administrators_verify(session):
    user = await f.asn_user(session, 1001)  # Diskominfo
    purchase_id = await _submitted(session, user)
    other = Roles(3002, frozenset({RoleKind.OPD_OPERATOR}), "Dinkes")
    own = Roles(3001, frozenset({RoleKind.OPD_OPERATOR}), "Diskominfo")
    assert (
        await outside.next_review(session, actor=other, now=NOW, quota=QUOTA, policy=POLICY)
        is None
    )
    with pytest.raises(Forbidden):
        await outside.decide(
            session, actor=other, purchase_id=purchase_id, action="approve", now=NOW
        )
    buyer = Roles(1001, frozenset({RoleKind.ASN}))
    with pytest.raises(Forbidden):
        await outside.decide(
            session, actor=buyer, purchase_id=purchase_id, action="approve", now=NOW
        )
    review = await outside.next_review(session, actor=own, now=NOW, quota=QUOTA, policy=POLICY)
    assert review is not None and review.photos == ["photo1"] and not review.flags.any
    with pytest.raises(ServiceError) as refused:
        await outside.decide(session, actor=own, purchase_id=purchase_id, action="reject", now=NOW)
    assert refused.value.code == "reason_required"
    decision = await outside.decide(
        session, actor=own, purchase_id=purchase_id, action="approve", now=NOW
    )
    assert decision.purchase.status == "approved" and not decision.closed
    with pytest.raises(ServiceError) as refused:
        await outside.decide(
            session, actor=ADMIN, purchase_id=purchase_id, action="approve", now=NOW
        )
    assert refused.value.code == "already_decided"
    status = await quota_status(session, user, now=NOW, policy=QUOTA)
    assert status.spent == 100_000 and status.outside_counted == 100_000


async def test_flags_same_shop_and_amount_large_amounts_and_rush(session):
    user = await f.asn_user(session, 1001)
    policy = outside.OutsidePolicy(flag_amount=150_000, rush_days=4, rush_count=3)
    await _submitted(session, user, 200_000, seed=1)
    await _submitted(session, user, 200_000, seed=2)
    third = await _submitted(session, user, 200_000, seed=3)
    review = None
    while True:
        review = await outside.next_review(
            session,
            actor=ADMIN,
            now=NOW,
            quota=QUOTA,
            policy=policy,
            after=(review.purchase.id if review else 0) or 0,
        )
        assert review is not None
        if review.purchase.id == third:
            break
    assert review.flags.same_shop_amount == 2
    assert review.flags.large_amount
    assert review.flags.rush == 3  # 27 Nov is within 4 days of the 30 Nov deadline
    assert review.flags.same_photo == 0


async def test_the_draft_is_discarded_and_photos_are_limited(session):
    user = await f.asn_user(session, 1001)
    for seed in range(outside.MAX_PHOTOS):
        await outside.add_photo(
            session, user, file_id=f"p{seed}", data=_jpeg(_picture(seed)), now=NOW
        )
    with pytest.raises(ServiceError) as refused:
        await outside.add_photo(session, user, file_id="extra", data=_jpeg(_picture(99)), now=NOW)
    assert refused.value.code == "outside_too_many_photos"
    await outside.discard_draft(session, user)
    assert await outside.draft_photo_count(session, user) == 0
    draft = outside.Draft("Warung", "Lowokwaru", "Tlogomas", "nasi", 10_000, date(2026, 11, 27))
    with pytest.raises(ServiceError) as refused:
        await outside.submit(session, user, draft, now=NOW, quota=QUOTA, policy=POLICY)
    assert refused.value.code == "outside_no_photo"


async def test_an_exemption_request_becomes_an_exemption_of_that_month(session):
    user = await f.asn_user(session, 1001)
    with pytest.raises(ServiceError):  # "other" needs words
        await appeals.ask(
            session, user, month=date(2026, 11, 1), reason="other", now=NOW, policy=QUOTA
        )
    request = await appeals.ask(
        session, user, month=date(2026, 12, 1), reason="leave", now=NOW, policy=QUOTA
    )
    with pytest.raises(ServiceError) as refused:
        await appeals.ask(
            session, user, month=date(2026, 12, 1), reason="leave", now=NOW, policy=QUOTA
        )
    assert refused.value.code == "request_pending"
    other = Roles(3002, frozenset({RoleKind.OPD_OPERATOR}), "Dinkes")
    assert await appeals.next_request(session, actor=other) is None
    with pytest.raises(Forbidden):
        await appeals.decide(session, actor=other, request_id=request.id, approve=True, now=NOW)
    decision = await appeals.decide(
        session, actor=ADMIN, request_id=request.id, approve=True, now=NOW
    )
    assert decision.request.exemption_id is not None
    december = datetime(2026, 12, 2, 3, tzinfo=UTC)
    status = await quota_status(session, user, now=december, policy=QUOTA)
    assert status.exemption is not None and status.exemption.reason == "leave"
    assert (await quota_status(session, user, now=NOW, policy=QUOTA)).exemption is None


async def test_an_outage_credits_whole_days_and_moves_the_slots(session):
    assert outages.credit_days(NOW, NOW + timedelta(hours=3), 0) == 1
    assert outages.credit_days(NOW, NOW + timedelta(hours=30), 0) == 2
    assert outages.credit_days(NOW, NOW + timedelta(hours=30), 3) == 3
    reminders = ReminderPolicy()
    before = [
        s.at for s in await slots_in(session, date(2026, 11, 1), quota=QUOTA, policy=reminders)
    ]
    with pytest.raises(Forbidden):
        await outages.declare(
            session, actor=Roles(1, frozenset({RoleKind.ASN})), starts_at=NOW - timedelta(hours=5),
            ends_at=NOW, now=NOW, policy=QUOTA,
        )  # fmt: skip
    with pytest.raises(ServiceError):  # not over yet
        await outages.declare(
            session, actor=ADMIN, starts_at=NOW, ends_at=NOW + timedelta(hours=1), now=NOW,
            policy=QUOTA,
        )  # fmt: skip
    credits = await outages.declare(
        session,
        actor=ADMIN,
        starts_at=NOW - timedelta(hours=5),
        ends_at=NOW,
        now=NOW,
        policy=QUOTA,
    )
    assert [(c.month, c.days, c.deadline) for c in credits] == [
        (date(2026, 11, 1), 1, date(2026, 12, 1))
    ]
    after = [
        s.at for s in await slots_in(session, date(2026, 11, 1), quota=QUOTA, policy=reminders)
    ]
    assert after == [at + timedelta(days=1) for at in before]
    session.add(MonthClosing(month=date(2026, 11, 1)))
    await session.commit()
    with pytest.raises(ServiceError) as refused:  # a closed month keeps its deadline
        await outages.declare(
            session, actor=ADMIN, starts_at=NOW - timedelta(hours=5), ends_at=NOW, now=NOW,
            policy=QUOTA,
        )  # fmt: skip
    assert refused.value.code == "outage_invalid"
