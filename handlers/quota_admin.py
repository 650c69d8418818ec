"""/kuota_atur (administrators): the minimum per class, the deadline day, exemptions.

A change applies from a chosen month onward (this month or later); past months keep the rule
they had. Every change is checked and audited in services.compliance.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from views.refusals import describe
from handlers.quota import EXEMPTION_REASONS, exemption_reason, month_label, policy
from handlers.ui import alert, show
from models import User
from services import compliance
from services.admins import role_of
from services.errors import Refusal, ServiceError
from services.money import MoneyError, parse_rupiah
from services.quota import month_code, month_from_code, next_month, parse_month
from views import keyboards as kb
from views.callbacks import ExemptReasonCb, QuotaAdminCb, QuotaFromCb
from views.format import button_text, day, esc, money

router = Router(name="quota_admin")

EXEMPTIONS_PAGE = 8


class RuleForm(StatesGroup):
    value = State()  # data: rule_kind ("cls" or "day"), rule_cls
    month = State()  # data: + rule_value


class ExemptionForm(StatesGroup):
    nip = State()
    months = State()  # data: ex_nip, ex_name
    reason = State()  # data: + ex_from, ex_to (YYYYMM)


def _deadline_text(deadline_day: int, locale: str) -> str:
    if deadline_day <= 0:
        return _("the last day of the month")
    return _("day {day} of the month").format(day=deadline_day)


async def overview_screen(
    session: AsyncSession, user: User, locale: str, settings: Settings, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    view = await compliance.rules_overview(
        session,
        actor_telegram_id=user.telegram_id,
        admin_ids=settings.admin_ids,
        now=now,
        policy=policy(settings),
    )
    lines = [
        _("⚙️ <b>Minimum spend rules — {month}</b>").format(month=month_label(view.month, locale)),
        "",
    ]
    for rule in view.classes:
        line = _("• Golongan {cls}: <b>{amount}</b>").format(
            cls=rule.quota_class, amount=money(rule.minimum, locale)
        )
        for start, amount in rule.upcoming:
            line += _(" → {amount} from {month}").format(
                amount=money(amount, locale), month=month_label(start, locale)
            )
        lines.append(line)
    lines += [
        "",
        _("⏰ Deadline: {when} (this month: {deadline})").format(
            when=_deadline_text(view.deadline_day, locale), deadline=day(view.deadline, locale)
        ),
    ]
    for start, deadline_day in view.upcoming_deadlines:
        lines.append(
            _("   → {when} from {month}").format(
                when=_deadline_text(deadline_day, locale), month=month_label(start, locale)
            )
        )
    lines += [
        _("🛡 Exempt ASN this month: {n}").format(n=view.exempt_count),
        "",
        _(
            "Tap a class to change its minimum. A change applies from the month you choose "
            "onward; past months keep the rule they had."
        ),
    ]
    builder = InlineKeyboardBuilder()
    for rule in view.classes:
        builder.button(
            text=rule.quota_class, callback_data=QuotaAdminCb(action="cls", cls=rule.quota_class)
        )
    builder.adjust(5)
    builder.row(
        InlineKeyboardButton(
            text=_("⏰ Deadline day"), callback_data=QuotaAdminCb(action="day").pack()
        )
    )
    builder.row(
        InlineKeyboardButton(
            text=_("🛡 Exemptions"), callback_data=QuotaAdminCb(action="ex").pack()
        )
    )
    return "\n".join(lines), builder.as_markup()


@router.message(Command("kuota_atur", "quota_rules"))
async def rules_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    await state.clear()
    try:
        text, markup = await overview_screen(session, user, locale, settings, clock())
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    await message.answer(text, reply_markup=markup)


async def _admin_or_alert(
    session: AsyncSession, user: User, settings: Settings, callback_answer: CallbackAnswer
) -> bool:
    """Whether to ask an administrator's question; others get an alert. Only to decide what to
    show: the services check again before changing anything."""
    if (await role_of(session, user.telegram_id, settings.admin_ids)).is_admin:
        return True
    alert(callback_answer, describe(ServiceError(Refusal.FORBIDDEN)))
    return False


@router.callback_query(QuotaAdminCb.filter(F.action == "show"))
async def rules_again(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
    callback_answer,
) -> None:  # noqa: ANN001
    try:
        text, markup = await overview_screen(session, user, locale, settings, clock())
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await show(callback, text, markup)


# --- changing a minimum or the deadline day -------------------------------------------------


@router.callback_query(QuotaAdminCb.filter(F.action.in_({"cls", "day"})))
async def ask_value(
    callback: CallbackQuery,
    callback_data: QuotaAdminCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    callback_answer,
) -> None:  # noqa: ANN001
    if not await _admin_or_alert(session, user, settings, callback_answer):
        return
    await state.set_state(RuleForm.value)
    await state.update_data(rule_kind=callback_data.action, rule_cls=callback_data.cls)
    if callback_data.action == "cls":
        text = _(
            "Type the new monthly minimum for golongan {cls}, for example <i>750000</i> or "
            "<i>750rb</i>."
        ).format(cls=esc(callback_data.cls))
    else:
        text = _("Type the deadline day: 1 to 31, or 0 for the last day of the month.")
    await callback.message.answer(text, reply_markup=kb.cancel_keyboard())


def month_choices(now_month: date, locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for offset in range(3):
        month = next_month(now_month, offset)
        builder.button(
            text=month_label(month, locale), callback_data=QuotaFromCb(month=month_code(month))
        )
    builder.adjust(1)
    return builder.as_markup()


@router.message(RuleForm.value, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_value(
    message: Message,
    state: FSMContext,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    data = await state.get_data()
    text = message.text.strip()
    if data.get("rule_kind") == "cls":
        try:
            value = parse_rupiah(text)
        except MoneyError:
            await message.answer(
                _("That is not an amount of rupiah. Type it like <i>750000</i> or <i>750rb</i>.")
            )
            return
    else:
        if not text.isdigit() or not 0 <= int(text) <= 31:
            await message.answer(describe(ServiceError(Refusal.DAY_INVALID)))
            return
        value = int(text)
    await state.update_data(rule_value=value)
    await state.set_state(RuleForm.month)
    this_month = compliance.current_month(clock(), policy(settings))
    await message.answer(
        _(
            "From which month on? Tap one, or type a later month as YYYY-MM. Earlier months "
            "keep the rule they had."
        ),
        reply_markup=month_choices(this_month, locale),
    )


@router.callback_query(StateFilter(RuleForm.month), QuotaFromCb.filter())
async def month_tapped(
    callback: CallbackQuery,
    callback_data: QuotaFromCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
    callback_answer,
) -> None:  # noqa: ANN001
    try:
        month = month_from_code(callback_data.month)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await _apply_rule(callback.message, state, session, user, locale, settings, clock(), month)


@router.message(RuleForm.month, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def month_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    try:
        month = parse_month(message.text)
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    await _apply_rule(message, state, session, user, locale, settings, clock(), month)


async def _apply_rule(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    now: datetime,
    month: date,
) -> None:
    data = await state.get_data()
    kind, value = data.get("rule_kind"), data.get("rule_value")
    if value is None:
        await state.clear()
        await message.answer(describe(ServiceError(Refusal.FORBIDDEN)), reply_markup=kb.main_menu())
        return
    try:
        if kind == "cls":
            await compliance.change_minimum(
                session,
                actor_telegram_id=user.telegram_id,
                admin_ids=settings.admin_ids,
                quota_class=str(data.get("rule_cls", "")),
                amount=int(value),
                valid_from=month,
                now=now,
                policy=policy(settings),
            )
            done = _("✅ Golongan {cls}: minimum {amount} from {month} onward.").format(
                cls=esc(str(data.get("rule_cls", ""))),
                amount=money(int(value), locale),
                month=month_label(month, locale),
            )
        else:
            await compliance.change_deadline_day(
                session,
                actor_telegram_id=user.telegram_id,
                admin_ids=settings.admin_ids,
                day=int(value),
                valid_from=month,
                now=now,
                policy=policy(settings),
            )
            done = _("✅ Deadline: {when} from {month} onward.").format(
                when=_deadline_text(int(value), locale), month=month_label(month, locale)
            )
    except ServiceError as exc:
        if exc.code == Refusal.MONTH_IN_PAST:
            await message.answer(describe(exc))  # stay here: another month can be typed
            return
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    await message.answer(done, reply_markup=kb.main_menu())
    text, markup = await overview_screen(session, user, locale, settings, now)
    await message.answer(text, reply_markup=markup)


# --- exemptions ------------------------------------------------------------------------


async def exemptions_screen(
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    now: datetime,
    page: int,
) -> tuple[str, InlineKeyboardMarkup]:
    rows, total = await compliance.list_exemptions(
        session,
        actor_telegram_id=user.telegram_id,
        admin_ids=settings.admin_ids,
        now=now,
        policy=policy(settings),
        page=page,
        page_size=EXEMPTIONS_PAGE,
    )
    pages = max(1, -(-total // EXEMPTIONS_PAGE))
    lines = [_("🛡 <b>Exemptions</b> (this month and later): {n}").format(n=total), ""]
    builder = InlineKeyboardBuilder()
    for row in rows:
        lines.append(
            _("• {name} ({nip}, {opd}): {start} – {end}, {reason}").format(
                name=esc(row.name),
                nip=row.nip,
                opd=esc(row.opd),
                start=month_label(row.from_month, locale),
                end=month_label(row.to_month, locale),
                reason=exemption_reason(row.reason),
            )
        )
        builder.row(
            InlineKeyboardButton(
                text=button_text(_("🗑 End: {name}").format(name=row.name)),
                callback_data=QuotaAdminCb(action="exrm", id=row.id, page=page).pack(),
            )
        )
    if not rows:
        lines.append(_("Nobody is exempt."))
    kb.pager(builder, page, pages, lambda p: QuotaAdminCb(action="ex", page=p))
    builder.row(
        InlineKeyboardButton(
            text=_("➕ Exempt an ASN"), callback_data=QuotaAdminCb(action="exadd").pack()
        )
    )
    builder.row(
        InlineKeyboardButton(text=_("⬅️ Back"), callback_data=QuotaAdminCb(action="show").pack())
    )
    return "\n".join(lines), builder.as_markup()


@router.callback_query(QuotaAdminCb.filter(F.action.in_({"ex", "exrm"})))
async def exemptions(
    callback: CallbackQuery,
    callback_data: QuotaAdminCb,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
    callback_answer,
) -> None:  # noqa: ANN001
    try:
        if callback_data.action == "exrm":
            await compliance.remove_exemption(
                session,
                actor_telegram_id=user.telegram_id,
                admin_ids=settings.admin_ids,
                exemption_id=callback_data.id,
            )
            callback_answer.text = _("Exemption ended.")
        text, markup = await exemptions_screen(
            session, user, locale, settings, clock(), callback_data.page
        )
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await show(callback, text, markup)


@router.callback_query(QuotaAdminCb.filter(F.action == "exadd"))
async def ask_nip(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    callback_answer,
) -> None:  # noqa: ANN001
    if not await _admin_or_alert(session, user, settings, callback_answer):
        return
    await state.set_state(ExemptionForm.nip)
    await callback.message.answer(
        _("Type the NIP of the ASN to exempt."), reply_markup=kb.cancel_keyboard()
    )


@router.message(ExemptionForm.nip, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_nip(message: Message, state: FSMContext, session: AsyncSession) -> None:
    nip = "".join(message.text.split())
    try:
        entry = await compliance.find_asn(session, nip)
    except ServiceError:
        await message.answer(
            _("NIP {nip} is not in the ASN roster. Check the number and type it again.").format(
                nip=esc(nip[:30])
            )
        )
        return
    await state.update_data(ex_nip=entry.nip, ex_name=entry.name)
    await state.set_state(ExemptionForm.months)
    await message.answer(
        _(
            "{name} ({opd}). For which months? Type one month (<i>2026-12</i>) or the first "
            "and the last (<i>2026-12 2027-05</i>)."
        ).format(name=esc(entry.name), opd=esc(entry.opd))
    )


@router.message(ExemptionForm.months, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_months(message: Message, state: FSMContext) -> None:
    parts = message.text.replace("–", " ").replace(" - ", " ").split()
    try:
        if len(parts) not in (1, 2):
            raise ServiceError(Refusal.MONTH_INVALID)
        first = parse_month(parts[0])
        last = parse_month(parts[-1])
        if last < first:
            raise ServiceError(Refusal.MONTH_RANGE_INVALID)
    except ServiceError as exc:
        await message.answer(describe(exc))
        return
    await state.update_data(ex_from=month_code(first), ex_to=month_code(last))
    await state.set_state(ExemptionForm.reason)
    builder = InlineKeyboardBuilder()
    for code, label in EXEMPTION_REASONS.items():
        builder.button(text=label(), callback_data=ExemptReasonCb(code=code))
    builder.adjust(1)
    await message.answer(
        _("Why? Tap a reason or type another one."), reply_markup=builder.as_markup()
    )


@router.callback_query(StateFilter(ExemptionForm.reason), ExemptReasonCb.filter())
async def reason_tapped(
    callback: CallbackQuery,
    callback_data: ExemptReasonCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    if callback_data.code not in EXEMPTION_REASONS:
        return
    await _save_exemption(
        callback.message, state, session, user, locale, settings, clock(), callback_data.code
    )


@router.message(ExemptionForm.reason, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def reason_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    await _save_exemption(message, state, session, user, locale, settings, clock(), message.text)


async def _save_exemption(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    now: datetime,
    reason: str,
) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        exemption = await compliance.add_exemption(
            session,
            actor_telegram_id=user.telegram_id,
            admin_ids=settings.admin_ids,
            nip=str(data.get("ex_nip", "")),
            from_month=month_from_code(int(data.get("ex_from", 0))),
            to_month=month_from_code(int(data.get("ex_to", 0))),
            reason=reason,
        )
    except ServiceError as exc:
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await message.answer(
        _("✅ {name} is exempt from {start} to {end} ({reason}).").format(
            name=esc(str(data.get("ex_name", ""))),
            start=month_label(exemption.from_month, locale),
            end=month_label(exemption.to_month, locale),
            reason=exemption_reason(exemption.reason),
        ),
        reply_markup=kb.main_menu(),
    )
    text, markup = await exemptions_screen(session, user, locale, settings, now, 0)
    await message.answer(text, reply_markup=markup)


# Registered last: any other text while a form waits for an answer.
@router.message(
    StateFilter(RuleForm.value, RuleForm.month, ExemptionForm), ~F.text.startswith("/")
)
async def text_expected(message: Message) -> None:
    await message.answer(_("Please type your answer as text, or tap Cancel."))
