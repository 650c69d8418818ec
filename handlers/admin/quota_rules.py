"""/kuota_atur (administrators): the minimum per class and the deadline day.

A change applies from a chosen month onward (this month or later); past months keep the rule
they had. Every change is checked and audited in services.compliance. Exemptions are
`handlers.admin.exemptions`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from aiogram import F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show
from services import compliance
from services.errors import Forbidden, Refusal, ServiceError
from services.money import MoneyError, parse_rupiah
from services.policy import Policy
from services.quota import month_from_code, parse_month
from services.roles import Roles
from views import keyboards as kb
from views.callbacks import QuotaAdminCb, QuotaFromCb
from views.format import esc, money
from views.quota import month_label
from views.quota_admin import deadline_text, month_choices, overview_screen
from views.refusals import describe

routes = Routes("quota_rules")

Clock = Callable[[], datetime]


class RuleForm(StatesGroup):
    value = State()  # data: rule_kind ("cls" or "day"), rule_cls
    month = State()  # data: + rule_value


async def overview(
    session: AsyncSession, roles: Roles, locale: str, policy: Policy, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    view = await compliance.rules_overview(session, actor=roles, now=now, policy=policy.quota)
    return overview_screen(view, locale)


@routes.message(Command("kuota_atur", "quota_rules"))
async def rules_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    await state.clear()
    text, markup = await overview(session, roles, locale, policy, clock())
    await message.answer(text, reply_markup=markup)


@routes.callback_query(QuotaAdminCb.filter(F.action == "show"))
async def rules_again(
    callback: CallbackQuery,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    await show(callback, *await overview(session, roles, locale, policy, clock()))


# --- changing a minimum or the deadline day -------------------------------------------------


@routes.callback_query(QuotaAdminCb.filter(F.action.in_({"cls", "day"})))
async def ask_value(
    callback: CallbackQuery, callback_data: QuotaAdminCb, state: FSMContext, roles: Roles
) -> None:
    roles.require_admin()
    await state.set_state(RuleForm.value)
    await state.update_data(rule_kind=callback_data.action, rule_cls=callback_data.cls)
    if callback_data.action == "cls":
        text = _(
            "Type the new monthly minimum for golongan {cls}, for example <i>750000</i> or "
            "<i>750rb</i>."
        ).format(cls=esc(callback_data.cls))
    else:
        text = _("Type the deadline day: 1 to 31, or 0 for the last day of the month.")
    if isinstance(callback.message, Message):
        await callback.message.answer(text, reply_markup=kb.cancel_keyboard())


@routes.message(RuleForm.value, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_value(
    message: Message, state: FSMContext, locale: str, policy: Policy, clock: Clock
) -> None:
    data = await state.get_data()
    text = (message.text or "").strip()
    if data.get("rule_kind") == "cls":
        try:
            value = parse_rupiah(text)
        except MoneyError:
            await message.answer(
                _("That is not an amount of rupiah. Type it like <i>750000</i> or <i>750rb</i>.")
            )
            return
    else:
        if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 31:
            await message.answer(describe(ServiceError(Refusal.DAY_INVALID)))
            return
        value = int(text)
    await state.update_data(rule_value=value)
    await state.set_state(RuleForm.month)
    this_month = compliance.current_month(clock(), policy.quota)
    await message.answer(
        _(
            "From which month on? Tap one, or type a later month as YYYY-MM. Earlier months "
            "keep the rule they had."
        ),
        reply_markup=month_choices(this_month, locale),
    )


@routes.callback_query(StateFilter(RuleForm.month), QuotaFromCb.filter())
async def month_tapped(
    callback: CallbackQuery,
    callback_data: QuotaFromCb,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    month = month_from_code(callback_data.month)
    if isinstance(callback.message, Message):
        await _apply_rule(callback.message, state, session, roles, locale, policy, clock(), month)


@routes.message(RuleForm.month, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def month_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    month = parse_month(message.text or "")
    await _apply_rule(message, state, session, roles, locale, policy, clock(), month)


async def _apply_rule(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    now: datetime,
    month: date,
) -> None:
    data = await state.get_data()
    kind, value = data.get("rule_kind"), data.get("rule_value")
    try:
        if value is None:
            raise Forbidden()
        done = await _change(session, roles, locale, policy, now, month, kind, int(value), data)
    except ServiceError as exc:
        if exc.code == Refusal.MONTH_IN_PAST:
            await message.answer(describe(exc))  # stay here: another month can be typed
            return
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    await message.answer(done, reply_markup=kb.main_menu())
    text, markup = await overview(session, roles, locale, policy, now)
    await message.answer(text, reply_markup=markup)


async def _change(
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    now: datetime,
    month: date,
    kind: str | None,
    value: int,
    data: dict[str, object],
) -> str:
    """Apply the rule and say what was done."""
    if kind == "cls":
        quota_class = str(data.get("rule_cls", ""))
        await compliance.change_minimum(
            session, actor=roles, quota_class=quota_class, amount=value, valid_from=month,
            now=now, policy=policy.quota,
        )  # fmt: skip
        return _("✅ Golongan {cls}: minimum {amount} from {month} onward.").format(
            cls=esc(quota_class), amount=money(value, locale), month=month_label(month, locale)
        )
    await compliance.change_deadline_day(
        session, actor=roles, day=value, valid_from=month, now=now, policy=policy.quota
    )
    return _("✅ Deadline: {when} from {month} onward.").format(
        when=deadline_text(value, locale), month=month_label(month, locale)
    )


# Registered last: any other text while a form waits for an answer.
@routes.message(StateFilter(RuleForm.value, RuleForm.month), ~F.text.startswith("/"))
async def text_expected(message: Message) -> None:
    await message.answer(_("Please type your answer as text, or tap Cancel."))


@routes.message(Command("porsi_luar", "outside_share"))
async def outside_share(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    locale: str,
    policy: Policy,
    clock: Clock,
) -> None:
    """/porsi_luar PERCENT [YYYY-MM]: the share of the minimum purchases outside the catalog
    may cover, from this month (or the given one) on."""
    parts = (command.args or "").replace("%", " ").split()
    if not parts or len(parts) > 2 or not (parts[0].isascii() and parts[0].isdigit()):
        await message.answer(
            _("Type it like <code>/porsi_luar 40</code> or <code>/porsi_luar 40 2027-01</code>.")
        )
        return
    now = clock()
    start = (
        parse_month(parts[1]) if len(parts) == 2 else compliance.current_month(now, policy.quota)
    )
    percent = int(parts[0])
    await compliance.change_outside_share(
        session, actor=roles, percent=percent, valid_from=start, now=now, policy=policy.quota
    )
    await message.answer(
        _(
            "✅ Purchases outside the catalog count up to {percent}% of the minimum from "
            "{month} on."
        ).format(percent=percent, month=month_label(start, locale))
    )
