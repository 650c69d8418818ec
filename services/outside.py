"""Purchases outside the catalog: an ASN reports a purchase at a shop that sells outside
TukuLokal (a warung, a market stall) with photos as proof; a verifier (an administrator, or the
operator of the ASN's OPD) approves it, rejects it with a reason or asks for another photo.

Approved purchases count toward the month of their purchase date, capped at a share of the
minimum (services.quota). A month already closed keeps its record: an approval after closing
shows as an adjustment in the reports, as refunds do.

Photos are hashed perceptually on upload (`imagehash.phash`), the whole picture and the picture
with up to 5% cut from its sides, so that the same receipt sent again, recompressed or slightly
cropped, is recognised (also between different ASN). The verifier sees flags: that photo again,
the same shop and amount twice in a month, an amount above a setting, the photo's EXIF date far
from the stated date, many submissions just before the deadline.

Refusal codes: not_asn, inactive, outside_shop_invalid, outside_registered_shop (params: name),
outside_items_invalid, amount_invalid, outside_date_invalid, outside_date_out_of_range,
outside_no_photo, outside_too_many_photos, photo_invalid, outside_not_found (NotFound),
already_decided, forbidden (Forbidden), reason_required.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import imagehash
from PIL import Image, UnidentifiedImageError
from sqlalchemy import delete, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Merchant, MonthClosing, OutsidePhoto, OutsidePurchase, RosterEntry, User
from models.db import select_columns, write_transaction
from models.tables import stored_id
from services.admins import audit
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.quota import (
    APPROVED,
    QuotaPolicy,
    closing_cutoff,
    deadline_credit,
    deadline_day_for,
    minimum_for,
    month_start,
    next_month,
    orders_spent,
    outside_approved,
    outside_cap,
    outside_share_for,
)
from services.roles import Roles
from services.text import normalize_key

PENDING, MORE_PHOTOS, REJECTED = "pending", "more_photos", "rejected"
OPEN = (PENDING, MORE_PHOTOS)
MAX_PHOTOS = 10
MAX_ITEMS = 500
MAX_SHOP = 120
# Reasons offered as buttons when rejecting; anything typed is stored as typed.
REJECT_REASONS = ("unreadable", "duplicate", "not_umkm", "amount_mismatch", "outside_city")
# Two pictures are the same photo when some crop of one is this close to the other (bits of 64).
SAME_PHOTO_BITS = 8
CROP = 0.05
# Photos looked at for "the same photo already submitted".
DUPLICATE_LOOKBACK = timedelta(days=400)


@dataclass(frozen=True)
class OutsidePolicy:
    grace_days: int = 5  # last month may still be reported this long after its deadline
    flag_amount: int = 1_000_000  # a larger amount is flagged
    exif_days: int = 3  # a photo taken further than this from the stated date is flagged
    rush_days: int = 2  # submissions this close to the deadline ...
    rush_count: int = 3  # ... this many of them are flagged
    outage_credit_days: int = 0  # 0: an outage moves the deadline by its own length


# --- photos ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoPrint:
    phash: str
    crops: tuple[str, ...]
    exif_date: date | None


def _boxes(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """The picture and its crops by 0, half and all of 5% on each side (at most 5% a way)."""
    dx, dy = int(width * CROP), int(height * CROP)
    boxes = []
    for left in (0, dx // 2, dx):
        for top in (0, dy // 2, dy):
            for right in (width, width - dx // 2, width - dx):
                for bottom in (height, height - dy // 2, height - dy):
                    if right - left >= width - dx and bottom - top >= height - dy:
                        boxes.append((left, top, right, bottom))
    return boxes


def _exif_date(image: Image.Image) -> date | None:
    exif = image.getexif()
    raw = exif.get_ifd(0x8769).get(36867) or exif.get(306)  # DateTimeOriginal, DateTime
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip()[:10], "%Y:%m:%d").date()  # noqa: DTZ007 - a date
    except ValueError:
        return None


def fingerprint(data: bytes) -> PhotoPrint:
    """The perceptual hashes and the EXIF date of a picture; refusal photo_invalid."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            taken = _exif_date(image)
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ServiceError(Refusal.PHOTO_INVALID) from exc
    hashes = [str(imagehash.phash(picture.crop(box))) for box in _boxes(*picture.size)]
    return PhotoPrint(hashes[0], tuple(hashes[1:]), taken)


def _bits(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def same_picture(a: PhotoPrint, b: PhotoPrint) -> bool:
    """Whether two pictures are the same photo (recompressed, or one a crop of the other)."""
    if _bits(a.phash, b.phash) <= SAME_PHOTO_BITS:
        return True
    return any(_bits(a.phash, h) <= SAME_PHOTO_BITS for h in b.crops) or any(
        _bits(b.phash, h) <= SAME_PHOTO_BITS for h in a.crops
    )


def _print_of(photo: OutsidePhoto) -> PhotoPrint:
    return PhotoPrint(photo.phash, tuple(photo.crop_hashes.split()), photo.exif_date)


async def add_photo(
    session: AsyncSession,
    user: User,
    *,
    file_id: str,
    data: bytes,
    purchase_id: int | None = None,
    now: datetime,
) -> int:
    """Keep a photo of the draft (or, with `purchase_id`, the extra photo a verifier asked
    for); returns how many photos the draft (or purchase) has now."""
    found = fingerprint(data)
    async with write_transaction(session):
        # The photos of an album arrive at once: one at a time per owner (a row lock on
        # PostgreSQL; SQLite writes one transaction at a time anyway), so counts stay right.
        await session.get(User, user.id, with_for_update=True, populate_existing=True)
        if purchase_id is not None:
            purchase = await session.get(OutsidePurchase, purchase_id)
            if purchase is None or purchase.user_id != user.id:
                raise NotFound(Refusal.OUTSIDE_NOT_FOUND)
            if purchase.status != MORE_PHOTOS:
                raise ServiceError(Refusal.ALREADY_DECIDED)
        count = await _photo_count(session, user, purchase_id)
        if count >= MAX_PHOTOS:
            raise ServiceError(Refusal.OUTSIDE_TOO_MANY_PHOTOS, max=MAX_PHOTOS)
        session.add(
            OutsidePhoto(
                owner_id=stored_id(user.id),
                purchase_id=purchase_id,
                file_id=file_id[:200],
                phash=found.phash,
                crop_hashes=" ".join(found.crops),
                exif_date=found.exif_date,
                created_at=now,
            )
        )
        if purchase_id is not None:
            await session.exec(
                update(OutsidePurchase)
                .where(col(OutsidePurchase.id) == purchase_id)
                .values(status=PENDING)
            )
    return count + 1


async def _photo_count(session: AsyncSession, user: User, purchase_id: int | None) -> int:
    where = (
        col(OutsidePhoto.purchase_id).is_(None)
        if purchase_id is None
        else col(OutsidePhoto.purchase_id) == purchase_id
    )
    total = (
        await session.exec(
            select(func.count()).where(col(OutsidePhoto.owner_id) == user.id, where)
        )
    ).one()
    return int(total)


async def draft_photo_count(session: AsyncSession, user: User) -> int:
    return await _photo_count(session, user, None)


async def draft_photos(session: AsyncSession, user: User) -> list[str]:
    rows = await session.exec(
        select(OutsidePhoto.file_id)
        .where(col(OutsidePhoto.owner_id) == user.id, col(OutsidePhoto.purchase_id).is_(None))
        .order_by(col(OutsidePhoto.id))
    )
    return list(rows.all())


async def discard_draft(session: AsyncSession, user: User) -> None:
    """Forget the photos of an unfinished report (cancel, or a new report begins)."""
    async with write_transaction(session):
        await session.exec(
            delete(OutsidePhoto).where(
                col(OutsidePhoto.owner_id) == user.id, col(OutsidePhoto.purchase_id).is_(None)
            )
        )


# --- the report's fields ---------------------------------------------------------------------


def check_shop_name(text: str) -> str:
    name = " ".join(text.split())
    if not 2 <= len(name) <= MAX_SHOP:
        raise ServiceError(Refusal.OUTSIDE_SHOP_INVALID, max=MAX_SHOP)
    return name


async def registered_shop(session: AsyncSession, name: str) -> Merchant | None:
    """The registered shop of that name, if any (its purchases belong in the catalog)."""
    key = normalize_key(name)
    rows = (await session.exec(select(Merchant).where(col(Merchant.status) == "active"))).all()
    return next((m for m in rows if normalize_key(m.name) == key), None)


def check_items(text: str) -> str:
    items = " ".join(text.split())
    if not 2 <= len(items) <= MAX_ITEMS:
        raise ServiceError(Refusal.OUTSIDE_ITEMS_INVALID, max=MAX_ITEMS)
    return items


def check_amount(amount: int) -> int:
    if not 1_000 <= amount <= 100_000_000:
        raise ServiceError(Refusal.AMOUNT_INVALID)
    return amount


async def open_months(
    session: AsyncSession, *, now: datetime, quota: QuotaPolicy, policy: OutsidePolicy
) -> list[date]:
    """The months a purchase may be dated in: this one, and last month until `grace_days`
    after its deadline day."""
    current = month_start(now.astimezone(quota.tz).date())
    last = next_month(current, -1)
    day = await deadline_day_for(session, last, default=quota.deadline_day)
    cutoff = closing_cutoff(last, day, quota.tz, await deadline_credit(session, last))
    if now < cutoff + timedelta(days=policy.grace_days):
        return [last, current]
    return [current]


def parse_date(text: str, *, today: date) -> date:
    """A day typed as 3, 3/12, 03-12-2026, 3.12.26 or 2026-12-03 (day first, as in
    Indonesia); refusal outside_date_invalid."""
    parts = text.strip().replace("/", "-").replace(".", "-").replace(" ", "-").split("-")
    parts = [p for p in parts if p]
    if not parts or not all(p.isascii() and p.isdigit() for p in parts) or len(parts) > 3:
        raise ServiceError(Refusal.OUTSIDE_DATE_INVALID)
    numbers = [int(p) for p in parts]
    if len(parts) == 3 and len(parts[0]) == 4:
        year, month, day = numbers
    else:
        day = numbers[0]
        month = numbers[1] if len(numbers) > 1 else today.month
        year = numbers[2] if len(numbers) > 2 else today.year
        if year < 100:
            year += 2000
    if len(numbers) == 1 and (month, day) > (today.month, today.day):
        earlier = next_month(today.replace(day=1), -1)  # "28" on the 2nd: last month's 28th
        year, month = earlier.year, earlier.month
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ServiceError(Refusal.OUTSIDE_DATE_INVALID) from exc


async def check_date(
    session: AsyncSession,
    day: date,
    *,
    now: datetime,
    quota: QuotaPolicy,
    policy: OutsidePolicy,
) -> date:
    today = now.astimezone(quota.tz).date()
    months = await open_months(session, now=now, quota=quota, policy=policy)
    if day > today or month_start(day) not in months:
        raise ServiceError(Refusal.OUTSIDE_DATE_OUT_OF_RANGE, first=months[0], today=today)
    return day


@dataclass(frozen=True)
class Draft:
    shop_name: str
    kecamatan: str
    kelurahan: str
    items: str
    amount: int
    purchase_date: date


async def _asn(session: AsyncSession, user: User) -> RosterEntry:
    if not user.nip:
        raise ServiceError(Refusal.NOT_ASN)
    roster = await session.get(RosterEntry, user.nip)
    if roster is None:
        raise ServiceError(Refusal.NOT_ASN)
    if not roster.active:
        raise ServiceError(Refusal.INACTIVE)
    return roster


async def submit(
    session: AsyncSession,
    user: User,
    draft: Draft,
    *,
    now: datetime,
    quota: QuotaPolicy,
    policy: OutsidePolicy,
) -> OutsidePurchase:
    """Record the report with the draft's photos, for a verifier."""
    roster = await _asn(session, user)
    shop = check_shop_name(draft.shop_name)
    items = check_items(draft.items)
    amount = check_amount(draft.amount)
    day = await check_date(session, draft.purchase_date, now=now, quota=quota, policy=policy)
    if await draft_photo_count(session, user) == 0:
        raise ServiceError(Refusal.OUTSIDE_NO_PHOTO)
    async with write_transaction(session):
        purchase = OutsidePurchase(
            user_id=stored_id(user.id),
            nip=roster.nip,
            opd=roster.opd,
            shop_name=shop,
            shop_key=normalize_key(shop)[:120],
            kecamatan=draft.kecamatan,
            kelurahan=draft.kelurahan,
            items=items,
            amount=amount,
            purchase_date=day,
            created_at=now,
        )
        session.add(purchase)
        await session.flush()
        await session.exec(
            update(OutsidePhoto)
            .where(col(OutsidePhoto.owner_id) == user.id, col(OutsidePhoto.purchase_id).is_(None))
            .values(purchase_id=purchase.id)
        )
    return purchase


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Flags:
    same_photo: int = 0  # other submissions with one of these photos
    same_shop_amount: int = 0  # the ASN's other submissions, same shop and amount, same month
    large_amount: bool = False
    exif_days_off: int | None = None  # the largest distance between EXIF and stated date
    rush: int = 0  # the ASN's submissions close to the deadline (when many)

    @property
    def any(self) -> bool:
        return bool(
            self.same_photo
            or self.same_shop_amount
            or self.large_amount
            or self.exif_days_off is not None
            or self.rush
        )


@dataclass(frozen=True)
class MonthSoFar:
    minimum: int
    orders: int  # paid orders counted this month
    outside_approved: int
    outside_cap: int
    share: int


@dataclass(frozen=True)
class Review:
    purchase: OutsidePurchase
    name: str
    photos: list[str]
    flags: Flags
    month: MonthSoFar
    waiting: int  # submissions in the verifier's queue, this one included
    extra: dict[str, Any] = field(default_factory=dict)


def _may_verify(actor: Roles, opd: str) -> None:
    if actor.is_admin:
        return
    actor.require_staff()
    if actor.opd != opd:
        raise Forbidden()


def _scope(actor: Roles) -> list[Any]:
    if actor.is_admin:
        return []
    actor.require_staff()
    return [col(OutsidePurchase.opd) == actor.opd]


async def queue_size(session: AsyncSession, *, actor: Roles) -> int:
    total = (
        await session.exec(
            select(func.count()).where(col(OutsidePurchase.status) == PENDING, *_scope(actor))
        )
    ).one()
    return int(total)


async def next_review(
    session: AsyncSession,
    *,
    actor: Roles,
    now: datetime,
    quota: QuotaPolicy,
    policy: OutsidePolicy,
    after: int = 0,
) -> Review | None:
    """The longest-waiting submission the actor may verify (after id `after`, to skip one)."""
    scope = _scope(actor)
    query = (
        select(OutsidePurchase)
        .where(col(OutsidePurchase.status) == PENDING, col(OutsidePurchase.id) > after, *scope)
        .order_by(col(OutsidePurchase.id))
        .limit(1)
    )
    purchase = (await session.exec(query)).first()
    if purchase is None and after:
        return await next_review(session, actor=actor, now=now, quota=quota, policy=policy)
    if purchase is None:
        return None
    return await review(session, purchase, actor=actor, now=now, quota=quota, policy=policy)


async def review(
    session: AsyncSession,
    purchase: OutsidePurchase,
    *,
    actor: Roles,
    now: datetime,
    quota: QuotaPolicy,
    policy: OutsidePolicy,
) -> Review:
    _may_verify(actor, purchase.opd)
    roster = await session.get(RosterEntry, purchase.nip)
    photos = (
        await session.exec(
            select(OutsidePhoto)
            .where(col(OutsidePhoto.purchase_id) == purchase.id)
            .order_by(col(OutsidePhoto.id))
        )
    ).all()
    flags = await _flags(session, purchase, list(photos), quota=quota, policy=policy)
    month = await _month_so_far(session, purchase, roster, quota=quota)
    return Review(
        purchase=purchase,
        name=roster.name if roster else "",
        photos=[p.file_id for p in photos],
        flags=flags,
        month=month,
        waiting=await queue_size(session, actor=actor),
    )


async def _month_so_far(
    session: AsyncSession,
    purchase: OutsidePurchase,
    roster: RosterEntry | None,
    *,
    quota: QuotaPolicy,
) -> MonthSoFar:
    month = month_start(purchase.purchase_date)
    quota_class = roster.quota_class if roster else ""
    minimum = await minimum_for(session, quota_class, month, default=quota.default_minimum)
    share = await outside_share_for(session, month, default=quota.outside_share)
    return MonthSoFar(
        minimum=minimum,
        orders=await orders_spent(session, purchase.nip, month, tz=quota.tz),
        outside_approved=await outside_approved(session, purchase.nip, month),
        outside_cap=outside_cap(minimum, share),
        share=share,
    )


async def _flags(
    session: AsyncSession,
    purchase: OutsidePurchase,
    photos: list[OutsidePhoto],
    *,
    quota: QuotaPolicy,
    policy: OutsidePolicy,
) -> Flags:
    month = month_start(purchase.purchase_date)
    same_shop = (
        await session.exec(
            select(func.count()).where(
                col(OutsidePurchase.nip) == purchase.nip,
                col(OutsidePurchase.id) != purchase.id,
                col(OutsidePurchase.shop_key) == purchase.shop_key,
                col(OutsidePurchase.amount) == purchase.amount,
                col(OutsidePurchase.status) != REJECTED,
                col(OutsidePurchase.purchase_date) >= month,
                col(OutsidePurchase.purchase_date) < next_month(month),
            )
        )
    ).one()
    exif_off = [
        abs((p.exif_date - purchase.purchase_date).days) for p in photos if p.exif_date is not None
    ]
    far = [d for d in exif_off if d > policy.exif_days]
    return Flags(
        same_photo=await _same_photo(session, purchase, photos),
        same_shop_amount=int(same_shop),
        large_amount=purchase.amount > policy.flag_amount,
        exif_days_off=max(far) if far else None,
        rush=await _rush(session, purchase, quota=quota, policy=policy),
    )


async def _same_photo(
    session: AsyncSession, purchase: OutsidePurchase, photos: Iterable[OutsidePhoto]
) -> int:
    """Other submissions (by anyone) that hold one of these photos."""
    mine = [_print_of(p) for p in photos]
    if not mine:
        return 0
    since = purchase.created_at - DUPLICATE_LOOKBACK
    others = (
        await session.exec(
            select(OutsidePhoto).where(
                col(OutsidePhoto.purchase_id).is_not(None),
                col(OutsidePhoto.purchase_id) != purchase.id,
                col(OutsidePhoto.created_at) >= since,
            )
        )
    ).all()
    matched = {
        other.purchase_id
        for other in others
        if any(same_picture(_print_of(other), print_) for print_ in mine)
    }
    return len(matched)


async def _rush(
    session: AsyncSession, purchase: OutsidePurchase, *, quota: QuotaPolicy, policy: OutsidePolicy
) -> int:
    """The ASN's submissions for the month in its last `rush_days` before the deadline ended,
    when there are at least `rush_count` of them (else 0)."""
    month = month_start(purchase.purchase_date)
    day = await deadline_day_for(session, month, default=quota.deadline_day)
    cutoff = closing_cutoff(month, day, quota.tz, await deadline_credit(session, month))
    near = (
        await session.exec(
            select(func.count()).where(
                col(OutsidePurchase.nip) == purchase.nip,
                col(OutsidePurchase.purchase_date) >= month,
                col(OutsidePurchase.purchase_date) < next_month(month),
                col(OutsidePurchase.created_at) >= cutoff - timedelta(days=policy.rush_days),
                col(OutsidePurchase.created_at) < cutoff,
            )
        )
    ).one()
    return int(near) if int(near) >= policy.rush_count else 0


@dataclass(frozen=True)
class Decision:
    purchase: OutsidePurchase
    buyer: User | None
    closed: bool  # the purchase's month was already closed: the approval is an adjustment


async def decide(
    session: AsyncSession,
    *,
    actor: Roles,
    purchase_id: int,
    action: str,
    reason: str = "",
    now: datetime,
) -> Decision:
    """approve, reject (with a reason) or more (ask the ASN for another photo)."""
    if action not in ("approve", "reject", "more"):
        raise ServiceError(Refusal.UNKNOWN_ACTION)
    reason = " ".join(reason.split())[:500]
    if action == "reject" and not reason:
        raise ServiceError(Refusal.REASON_REQUIRED)
    async with write_transaction(session):
        purchase = await session.get(OutsidePurchase, purchase_id, with_for_update=True)
        if purchase is None:
            raise NotFound(Refusal.OUTSIDE_NOT_FOUND)
        _may_verify(actor, purchase.opd)
        if purchase.status != PENDING:
            raise ServiceError(Refusal.ALREADY_DECIDED)
        purchase.status = {"approve": APPROVED, "reject": REJECTED, "more": MORE_PHOTOS}[action]
        purchase.reject_reason = reason if action == "reject" else None
        purchase.decided_at = now
        purchase.decided_by = actor.telegram_id
        session.add(purchase)
        audit(
            session,
            actor.telegram_id,
            f"outside_{action}",
            id=purchase.id,
            opd=purchase.opd,
            amount=purchase.amount,
            purchase_date=purchase.purchase_date,
            reason=reason or None,
        )
    closed = await session.get(MonthClosing, month_start(purchase.purchase_date)) is not None
    buyer = await session.get(User, purchase.user_id)
    await session.commit()
    return Decision(purchase, buyer, closed)


async def photos_of(session: AsyncSession, purchase_id: int) -> list[str]:
    rows = await session.exec(
        select(OutsidePhoto.file_id)
        .where(col(OutsidePhoto.purchase_id) == purchase_id)
        .order_by(col(OutsidePhoto.id))
    )
    return list(rows.all())


async def own_purchase(session: AsyncSession, user: User, purchase_id: int) -> OutsidePurchase:
    purchase = await session.get(OutsidePurchase, purchase_id)
    if purchase is None or purchase.user_id != user.id:
        raise NotFound(Refusal.OUTSIDE_NOT_FOUND)
    return purchase


# --- shops to onboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    name: str
    kecamatan: str
    asn: int
    purchases: int
    total: int


async def candidates(
    session: AsyncSession, *, actor: Roles, min_purchases: int = 2, limit: int = 500
) -> list[Candidate]:
    """Shops outside TukuLokal in several approved submissions: Diskopindag may invite them.
    Most ASN first."""
    actor.require_admin()
    registered = {
        normalize_key(name) for name in (await session.exec(select(Merchant.name))).all()
    }
    rows = (
        await session.exec(
            select_columns(
                OutsidePurchase.shop_key,
                OutsidePurchase.kecamatan,
                func.max(OutsidePurchase.shop_name),
                func.count(func.distinct(OutsidePurchase.nip)),
                func.count(),
                func.sum(OutsidePurchase.amount),
            )
            .where(col(OutsidePurchase.status) == APPROVED)
            .group_by(col(OutsidePurchase.shop_key), col(OutsidePurchase.kecamatan))
            .having(func.count() >= min_purchases)
        )
    ).all()
    found = [
        Candidate(name, kecamatan, int(asn), int(n), int(total))
        for key, kecamatan, name, asn, n, total in rows
        if key not in registered
    ]
    found.sort(key=lambda c: (-c.asn, -c.total, c.name))
    return found[:limit]
